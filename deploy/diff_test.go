package deploy

import (
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/result"
)

func TestDiff(t *testing.T) {
	tags := []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}, {Key: aws.String("env"), Value: aws.String("prod")}}
	cases := []struct {
		name   string
		change func(in *ecs.RegisterTaskDefinitionInput)
		want   []result.Change
	}{
		{name: "unchanged", change: func(*ecs.RegisterTaskDefinitionInput) {}},
		{
			name: "defaults, order and empty versus unset are not changes",
			change: func(in *ecs.RegisterTaskDefinitionInput) {
				app := &in.ContainerDefinitions[0]
				app.Essential = nil
				app.PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}
				app.Environment = append(app.Environment, ecstypes.KeyValuePair{Name: aws.String("A"), Value: aws.String("1")})
				slices.Reverse(app.Environment)
				app.Command, app.VolumesFrom = []string{}, []ecstypes.VolumeFrom{}
				app.ReadonlyRootFilesystem = aws.Bool(false)
				slices.Reverse(in.ContainerDefinitions)
				slices.Reverse(in.Tags)
				in.PlacementConstraints = []ecstypes.TaskDefinitionPlacementConstraint{}
			},
			// The one change is the variable added: it shows alone.
			want: []result.Change{{Path: "containerDefinitions[app].environment[+A]", New: "1"}},
		},
		{
			name: "an environment variable",
			change: func(in *ecs.RegisterTaskDefinitionInput) {
				in.ContainerDefinitions[0].Environment[0].Value = aws.String("debug")
			},
			want: []result.Change{{Path: "containerDefinitions[app].environment[MODE]", Old: "prod", New: "debug"}},
		},
		{
			name: "a secret reference",
			change: func(in *ecs.RegisterTaskDefinitionInput) {
				in.ContainerDefinitions[0].Secrets[0].ValueFrom = aws.String("/prod/tech-gateway/db-password-v2")
			},
			want: []result.Change{{Path: "containerDefinitions[app].secrets[DB_PASSWORD]", Old: "/prod/tech-gateway/db-password", New: "/prod/tech-gateway/db-password-v2"}},
		},
		{
			name:   "cpu and memory",
			change: func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu, in.Memory = aws.String("1024"), aws.String("2048") },
			want: []result.Change{
				{Path: "cpu", Old: "512", New: "1024"},
				{Path: "memory", Old: "1024", New: "2048"},
			},
		},
		{
			name: "a sidecar added",
			change: func(in *ecs.RegisterTaskDefinitionInput) {
				in.ContainerDefinitions = append(in.ContainerDefinitions, ecstypes.ContainerDefinition{Name: aws.String("sidecar"), Image: aws.String("busybox:1")})
			},
			want: []result.Change{{Path: "containerDefinitions[+sidecar]", New: `{"essential":true,"image":"busybox:1","name":"sidecar"}`}},
		},
		{
			name:   "a container removed",
			change: func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = in.ContainerDefinitions[:1] },
			want: []result.Change{{Path: "containerDefinitions[-envoy]",
				Old: `{"dependsOn":[{"condition":"HEALTHY","containerName":"app"}],"essential":false,"image":"envoyproxy/envoy:v1.30","name":"envoy"}`}},
		},
		{
			name: "an image",
			change: func(in *ecs.RegisterTaskDefinitionInput) {
				in.ContainerDefinitions[1].Image = aws.String("envoyproxy/envoy:v1.31")
			},
			want: []result.Change{{Path: "containerDefinitions[envoy].image", Old: "envoyproxy/envoy:v1.30", New: "envoyproxy/envoy:v1.31"}},
		},
		{
			name:   "a tag removed",
			change: func(in *ecs.RegisterTaskDefinitionInput) { in.Tags = in.Tags[:1] },
			want:   []result.Change{{Path: "tags[-env]", Old: "prod"}},
		},
		{
			name:   "essential turned off",
			change: func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Essential = aws.Bool(false) },
			want:   []result.Change{{Path: "containerDefinitions[app].essential", Old: "true", New: "false"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			td := richTaskDef()
			want := registerInput(td, tags)
			want.ContainerDefinitions = deepCopyContainers(want.ContainerDefinitions)
			want.Tags = slices.Clone(want.Tags)
			tc.change(want)
			got := Diff(registerInput(richTaskDef(), tags), want)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Diff:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// deepCopyContainers copies the containers and the lists a case changes,
// so that a case never edits the task definition it compares with.
func deepCopyContainers(cs []ecstypes.ContainerDefinition) []ecstypes.ContainerDefinition {
	out := slices.Clone(cs)
	for i := range out {
		out[i].Environment = slices.Clone(out[i].Environment)
		out[i].Secrets = slices.Clone(out[i].Secrets)
		out[i].PortMappings = slices.Clone(out[i].PortMappings)
	}
	return out
}

func TestDiffHostPortDefaultsOnlyOnAwsvpc(t *testing.T) {
	in := func(mode ecstypes.NetworkMode, host *int32) *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{NetworkMode: mode, ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80), HostPort: host}},
		}}}
	}
	if got := Diff(in(ecstypes.NetworkModeAwsvpc, nil), in(ecstypes.NetworkModeAwsvpc, aws.Int32(80))); len(got) != 0 {
		t.Errorf("awsvpc: hostPort unset vs containerPort: %+v, want no change", got)
	}
	if got := Diff(in(ecstypes.NetworkModeBridge, nil), in(ecstypes.NetworkModeBridge, aws.Int32(80))); len(got) != 1 {
		t.Errorf("bridge: hostPort unset (dynamic) vs 80: %+v, want one change", got)
	}
}
