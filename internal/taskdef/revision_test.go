package taskdef

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/imageref"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func containers(images ...string) []ecstypes.ContainerDefinition {
	var out []ecstypes.ContainerDefinition
	for i, img := range images {
		out = append(out, ecstypes.ContainerDefinition{Name: aws.String([]string{"app", "envoy", "worker"}[i]), Image: aws.String(img)})
	}
	return out
}

func images(in *ecs.RegisterTaskDefinitionInput) string {
	var s []string
	for _, c := range in.ContainerDefinitions {
		s = append(s, aws.ToString(c.Name)+"="+aws.ToString(c.Image))
	}
	return fmt.Sprint(s)
}

// TestNext: the one builder of a run's revision, from the live definition
// or the file, with the change applied and the live one left as it was.
func TestNext(t *testing.T) {
	live := ecstypes.TaskDefinition{Family: aws.String("web"), TaskDefinitionArn: aws.String("arn:web:1"), ContainerDefinitions: containers("repo/app:v1", "envoy:v1")}
	file := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: containers("repo/app:v5", "envoy:v2")}
	tests := []struct {
		name       string
		file       *ecs.RegisterTaskDefinitionInput
		container  string
		change     imageref.Change
		want       string
		wantTarget int
		wantCErr   bool
	}{
		{name: "live, tag on the target", container: "app", change: imageref.Change{Tag: "v2"}, want: "[app=repo/app:v2 envoy=envoy:v1]"},
		{name: "file, tag on the target", file: file, container: "app", change: imageref.Change{Tag: "v6"}, want: "[app=repo/app:v6 envoy=envoy:v2]"},
		{name: "file, no change", file: file, want: "[app=repo/app:v5 envoy=envoy:v2]", wantTarget: -1},
		{name: "named only: the plan's container is the first named", file: file, change: imageref.Change{Tags: map[string]string{"envoy": "v3"}},
			want: "[app=repo/app:v5 envoy=envoy:v3]", wantTarget: 1},
		{name: "a tag with two containers and none configured", change: imageref.Change{Tag: "v2"}, wantCErr: true},
		{name: "a named container that is not there", change: imageref.Change{Tags: map[string]string{"db": "v2"}}, wantCErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev, err := Next(live, nil, tt.file, tt.container, tt.change)
			var ce *imageref.ContainerError
			if tt.wantCErr {
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a container error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := images(rev.Input); got != tt.want || rev.Container != tt.wantTarget || aws.ToString(rev.Input.Family) != "web" {
				t.Fatalf("revision %s (container %d, family %s), want %s (container %d, family web)", got, rev.Container, aws.ToString(rev.Input.Family), tt.want, tt.wantTarget)
			}
			if got := aws.ToString(live.ContainerDefinitions[0].Image) + " " + aws.ToString(file.ContainerDefinitions[0].Image); got != "repo/app:v1 repo/app:v5" {
				t.Fatalf("the live definition or the file changed: %s", got)
			}
		})
	}
}

// TestPin: every image becomes repo:tag@digest with the digest resolved
// for it; one that names a digest stays; one without is reported.
func TestPin(t *testing.T) {
	tests := []struct {
		name           string
		images         []string
		digests        map[string]string
		want           string
		wantUnresolved string
	}{
		{name: "all resolved", images: []string{"repo/app:v2", "envoy:v1"}, digests: map[string]string{"repo/app:v2": digest, "envoy:v1": digest},
			want: "[app=repo/app:v2@" + digest + " envoy=envoy:v1@" + digest + "]"},
		{name: "a digest already named is kept", images: []string{"repo/app@" + digest}, digests: map[string]string{},
			want: "[app=repo/app@" + digest + "]"},
		{name: "one unresolved", images: []string{"repo/app:v2", "envoy:v1"}, digests: map[string]string{"repo/app:v2": digest},
			want: "[app=repo/app:v2@" + digest + " envoy=envoy:v1]", wantUnresolved: "[envoy (envoy:v1)]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev := Revision{Input: &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: containers(tt.images...)}}
			missing := rev.Pin(tt.digests)
			if got := images(rev.Input); got != tt.want {
				t.Errorf("pinned %s, want %s", got, tt.want)
			}
			if got := fmt.Sprint(missing); (len(missing) > 0 || tt.wantUnresolved != "") && got != tt.wantUnresolved {
				t.Errorf("unresolved %s, want %s", got, tt.wantUnresolved)
			}
		})
	}
}
