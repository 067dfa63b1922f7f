package sim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/registry"
)

func TestECR(t *testing.T) {
	t.Parallel()
	s := New(clock.Real{})
	d1 := s.PushImage(Registry+"/demo/web:v1", "linux/amd64", "linux/arm64")
	d2 := s.PushImage(Registry + "/demo/web:v2")
	moved := s.PushImage(Registry+"/demo/web:v1", "linux/arm64") // the tag moves
	tests := []struct {
		name       string
		repo, tag  string
		digest     string
		wantCode   string // the call's error code
		wantFail   ecrtypes.ImageFailureCode
		wantDigest string
		wantPlats  int
	}{
		{name: "tag", repo: "demo/web", tag: "v2", wantDigest: d2, wantPlats: 1},
		{name: "moved tag", repo: "demo/web", tag: "v1", wantDigest: moved, wantPlats: 1},
		{name: "digest of an untagged image", repo: "demo/web", digest: d1, wantDigest: d1, wantPlats: 2},
		{name: "tag never pushed", repo: "demo/web", tag: "v9", wantFail: ecrtypes.ImageFailureCodeImageNotFound},
		{name: "repository missing", repo: "demo/nope", tag: "v1", wantCode: "RepositoryNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := ecrtypes.ImageIdentifier{}
			if tt.tag != "" {
				id.ImageTag = aws.String(tt.tag)
			}
			if tt.digest != "" {
				id.ImageDigest = aws.String(tt.digest)
			}
			out, err := s.BatchGetImage(context.Background(), &ecr.BatchGetImageInput{RegistryId: aws.String(Account), RepositoryName: aws.String(tt.repo), ImageIds: []ecrtypes.ImageIdentifier{id}})
			if got := awsx.Code(err); got != tt.wantCode {
				t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if tt.wantFail != "" {
				if len(out.Failures) != 1 || out.Failures[0].FailureCode != tt.wantFail || len(out.Images) != 0 {
					t.Fatalf("answer = %+v, want failure %s", out, tt.wantFail)
				}
				return
			}
			if len(out.Images) != 1 || aws.ToString(out.Images[0].ImageId.ImageDigest) != tt.wantDigest {
				t.Fatalf("answer = %+v, want digest %s", out, tt.wantDigest)
			}
			m, err := registry.ParseManifest(aws.ToString(out.Images[0].ImageManifestMediaType), []byte(aws.ToString(out.Images[0].ImageManifest)))
			if err != nil || len(m.Platforms) != tt.wantPlats {
				t.Fatalf("manifest = %+v, %v; want %d platforms", m, err, tt.wantPlats)
			}
		})
	}
	if n := s.Calls()["BatchGetImage"]; n != len(tests) {
		t.Fatalf("BatchGetImage counted %d, want %d", n, len(tests))
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	s := New(clock.Real{})
	arn := s.AddSecret("demo/db", "AWSPREVIOUS")
	s.AddSecret("demo/old")
	s.ScheduleSecretDeletion("demo/old")
	tests := []struct {
		name, id    string
		wantCode    string
		wantDeleted bool
	}{
		{name: "full ARN", id: arn},
		{name: "partial ARN", id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/db"},
		{name: "name", id: "demo/db"},
		{name: "scheduled for deletion", id: "demo/old", wantDeleted: true},
		{name: "missing", id: "demo/nope", wantCode: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := s.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(tt.id)})
			if got := awsx.Code(err); got != tt.wantCode {
				t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if (out.DeletedDate != nil) != tt.wantDeleted || len(out.VersionIdsToStages) != 1 {
				t.Fatalf("answer = %+v", out)
			}
		})
	}
}

// The demo account's images are all pushed but DemoTagMissing.
func TestNewDemoECRImages(t *testing.T) {
	t.Parallel()
	s := NewDemoECR(clock.Real{})
	for _, tc := range []struct {
		tag    string
		exists bool
	}{{"v1", true}, {"v2", true}, {DemoTagCrash, true}, {DemoTagMissing, false}} {
		t.Run(tc.tag, func(t *testing.T) {
			out, err := s.BatchGetImage(context.Background(), &ecr.BatchGetImageInput{RepositoryName: aws.String("demo/api"),
				ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tc.tag)}}})
			if err != nil || (len(out.Images) == 1) != tc.exists {
				t.Fatalf("demo/api:%s = %+v, %v; want exists %v", tc.tag, out, err, tc.exists)
			}
		})
	}
}
