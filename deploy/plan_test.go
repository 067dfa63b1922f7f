package deploy

import (
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// richTaskDef is a task definition with most fields set, as DescribeTaskDefinition returns it.
func richTaskDef() ecstypes.TaskDefinition {
	return ecstypes.TaskDefinition{
		TaskDefinitionArn:       aws.String("arn:aws:ecs:eu-west-1:123456789012:task-definition/tech-gateway:41"),
		Family:                  aws.String("tech-gateway"),
		Revision:                41,
		Status:                  ecstypes.TaskDefinitionStatusActive,
		Compatibilities:         []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate},
		RequiresAttributes:      []ecstypes.Attribute{{Name: aws.String("com.amazonaws.ecs.capability.logging-driver.awslogs")}},
		RegisteredBy:            aws.String("arn:aws:sts::123456789012:assumed-role/ci/deployer"),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String("512"),
		Memory:                  aws.String("1024"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
		TaskRoleArn:             aws.String("arn:aws:iam::123456789012:role/tech-gateway"),
		RuntimePlatform:         &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureArm64, OperatingSystemFamily: ecstypes.OSFamilyLinux},
		EphemeralStorage:        &ecstypes.EphemeralStorage{SizeInGiB: 30},
		Volumes:                 []ecstypes.Volume{{Name: aws.String("tmp")}},
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{
				Name:         aws.String("app"),
				Image:        aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/tech-gateway:2024-06-01@sha256:0123abcd"),
				Essential:    aws.Bool(true),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: ecstypes.TransportProtocolTcp}},
				Environment:  []ecstypes.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}},
				Secrets:      []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/prod/tech-gateway/db-password")}},
				MountPoints:  []ecstypes.MountPoint{{SourceVolume: aws.String("tmp"), ContainerPath: aws.String("/tmp")}},
				HealthCheck:  &ecstypes.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost:8080/healthz"}, Interval: aws.Int32(10)},
				LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
					"awslogs-group": "/ecs/tech-gateway", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs",
				}},
			},
			{
				Name:      aws.String("envoy"),
				Image:     aws.String("envoyproxy/envoy:v1.30"),
				Essential: aws.Bool(false),
				DependsOn: []ecstypes.ContainerDependency{{ContainerName: aws.String("app"), Condition: ecstypes.ContainerConditionHealthy}},
			},
		},
	}
}

// TestPlanGolden pins the RegisterTaskDefinitionInput of a --tag deploy:
// everything copied, only the app image retagged. Run with -update to
// rewrite testdata/register-input.golden.json after a deliberate change.
func TestPlanGolden(t *testing.T) {
	tags := []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}
	p, err := newPlan(richTaskDef(), tags, nil, "app", imageref.Change{Tag: "2024-06-02"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := prunedJSON(t, p.input)
	testenv.Golden(t, filepath.Join("testdata", "register-input.golden.json"), string(got), *update)
}

// TestRegisterInputCopiesEveryField fills every field of a TaskDefinition
// and checks each RegisterTaskDefinitionInput field came across, so an SDK
// update that adds a registrable field fails here until it is copied.
func TestRegisterInputCopiesEveryField(t *testing.T) {
	var td ecstypes.TaskDefinition
	v := reflect.ValueOf(&td).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			fill(v.Field(i))
		}
	}
	in := reflect.ValueOf(registerInput(td, []ecstypes.Tag{{Key: aws.String("k")}})).Elem()
	for i := range in.NumField() {
		f := in.Type().Field(i)
		if !f.IsExported() || notCopied[f.Name] {
			continue
		}
		if in.Field(i).IsZero() {
			t.Errorf("RegisterTaskDefinitionInput.%s is not copied from the task definition", f.Name)
		}
	}
}

// notCopied are registrable fields deliberately left out of a new revision.
var notCopied = map[string]bool{
	"InferenceAccelerators": true, // Elastic Inference is retired
}

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		if v.Elem().Kind() != reflect.Struct {
			fill(v.Elem())
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.String:
		v.SetString("x")
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
	}
}

func TestNewPlan(t *testing.T) {
	two := richTaskDef()
	one := richTaskDef()
	one.ContainerDefinitions = one.ContainerDefinitions[:1]
	tests := []struct {
		name            string
		td              ecstypes.TaskDefinition
		container       string
		image, tag      string
		wantImage       string
		wantChanged     bool
		wantErrContains string
	}{
		{name: "image replaces", td: two, container: "app", image: "repo/app:v2", wantImage: "repo/app:v2", wantChanged: true},
		{name: "tag keeps registry, drops digest", td: two, container: "app", tag: "v9", wantImage: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tech-gateway:v9", wantChanged: true},
		{name: "only container is the default", td: one, image: "repo/app:v2", wantImage: "repo/app:v2", wantChanged: true},
		{name: "same image: no change", td: two, container: "envoy", image: "envoyproxy/envoy:v1.30", wantImage: "envoyproxy/envoy:v1.30"},
		{name: "force only: no change", td: two, container: "app", wantImage: aws.ToString(two.ContainerDefinitions[0].Image)},
		{name: "several containers, none configured", td: two, image: "x:1", wantErrContains: "has 2 containers (app, envoy); set `container:`"},
		{name: "unknown container", td: two, container: "web", image: "x:1", wantErrContains: `container "web" is not in task definition`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPlan(tt.td, nil, nil, tt.container, imageref.Change{Image: tt.image, Tag: tt.tag}, nil)
			if tt.wantErrContains != "" {
				var ec *errContainer
				if err == nil || !strings.Contains(err.Error(), tt.wantErrContains) || !errors.As(err, &ec) {
					t.Fatalf("err = %v, want a container error containing %q", err, tt.wantErrContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.newImage != tt.wantImage || p.changed() != tt.wantChanged {
				t.Fatalf("plan = %s changed=%v, want %s changed=%v", p.newImage, p.changed(), tt.wantImage, tt.wantChanged)
			}
			// Every container other than the target is untouched, and the
			// source task definition is not modified.
			for i, c := range p.input.ContainerDefinitions {
				orig := tt.td.ContainerDefinitions[i]
				if aws.ToString(c.Name) == p.container {
					if aws.ToString(c.Image) != tt.wantImage {
						t.Fatalf("target image = %s", aws.ToString(c.Image))
					}
					c.Image = orig.Image
				}
				if !reflect.DeepEqual(c, orig) {
					t.Fatalf("container %s changed beyond its image:\n%+v\n%+v", aws.ToString(c.Name), c, orig)
				}
			}
			if aws.ToString(tt.td.ContainerDefinitions[0].Image) == tt.wantImage && tt.wantChanged {
				t.Fatal("the current task definition was modified in place")
			}
		})
	}
}

// prunedJSON is v as indented JSON without its null fields, so the golden
// file shows what is set.
func prunedJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(prune(tree), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			v[k] = prune(e)
		}
	case []any:
		for i, e := range v {
			v[i] = prune(e)
		}
	}
	return v
}
