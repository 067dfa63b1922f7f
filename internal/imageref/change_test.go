package imageref

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func taskDef(images ...string) ecstypes.TaskDefinition {
	td := ecstypes.TaskDefinition{TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/app:3")}
	names := []string{"app", "envoy", "otel"}
	for i, img := range images {
		td.ContainerDefinitions = append(td.ContainerDefinitions, ecstypes.ContainerDefinition{Name: aws.String(names[i]), Image: aws.String(img)})
	}
	return td
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		td        ecstypes.TaskDefinition
		container string
		change    Change
		want      []Planned
		wantCErr  bool // a *ContainerError
		wantErr   bool
	}{
		{
			name: "tag on the only container", td: taskDef("repo/app:v1"), change: Change{Tag: "v2"},
			want: []Planned{{Container: "app", Image: "repo/app:v2", Changed: true}},
		},
		{
			name: "image on the named container, sidecar kept", td: taskDef("repo/app:v1", "envoyproxy/envoy:v1.30"), container: "app",
			change: Change{Image: "ghcr.io/o/app@sha256:0123456789abcdef0123456789abcdef"},
			want: []Planned{
				{Container: "app", Image: "ghcr.io/o/app@sha256:0123456789abcdef0123456789abcdef", Changed: true},
				{Container: "envoy", Image: "envoyproxy/envoy:v1.30"},
			},
		},
		{
			name: "same tag is no change", td: taskDef("repo/app:v1"), change: Change{Tag: "v1"},
			want: []Planned{{Container: "app", Image: "repo/app:v1"}},
		},
		{
			name: "no change needs no target", td: taskDef("repo/app:v1", "envoyproxy/envoy:v1.30"),
			want: []Planned{{Container: "app", Image: "repo/app:v1"}, {Container: "envoy", Image: "envoyproxy/envoy:v1.30"}},
		},
		{name: "several containers, none named", td: taskDef("a:1", "b:1"), change: Change{Tag: "v2"}, wantCErr: true},
		{name: "named container missing", td: taskDef("a:1"), container: "web", change: Change{Tag: "v2"}, wantCErr: true},
		{name: "bad tag", td: taskDef("a:1"), change: Change{Tag: "x/y"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(tt.td, tt.container, tt.change)
			var ce *ContainerError
			if errors.As(err, &ce) != tt.wantCErr || (err != nil) != (tt.wantErr || tt.wantCErr) {
				t.Fatalf("Plan error = %v, want container error %v, other error %v", err, tt.wantCErr, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Plan = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}
