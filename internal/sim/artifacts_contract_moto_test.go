package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/registry"
	"github.com/omdeploy/omdeploy/internal/testenv"
	"github.com/omdeploy/omdeploy/preflight"
)

// artifactSide is one side of the ECR and Secrets Manager contract: what
// images.exist and secrets.exist call, and a way to push an image and
// create secrets with each side's own means.
type artifactSide struct {
	ecr     preflight.ECRAPI
	secrets preflight.SecretsManagerAPI
	push    func(t *testing.T, repo, tag string)
	secret  func(t *testing.T, name string, deleted bool) string
}

// TestArtifactContract makes the same ECR and Secrets Manager calls on the
// simulator and on moto and compares what images.exist and secrets.exist
// read from the answers, so the demo's verdicts are the ones moto (and,
// as far as moto follows it, AWS) would give.
func TestArtifactContract(t *testing.T) {
	t.Parallel()
	s := New(clock.Real{})
	simSide := artifactSide{
		ecr: s, secrets: s,
		push: func(t *testing.T, repo, tag string) {
			s.PushImage(Registry+"/"+repo+":"+tag, "linux/amd64", "linux/arm64")
		},
		secret: func(t *testing.T, name string, deleted bool) string {
			arn := s.AddSecret(name)
			if deleted {
				s.ScheduleSecretDeletion(name)
			}
			return arn
		},
	}
	c := testenv.Moto(t)
	motoSide := artifactSide{
		ecr: c.ECRIn(Region), secrets: c.SecretsManagerIn(Region),
		push: func(t *testing.T, repo, tag string) {
			e := c.ECRIn(Region)
			if _, err := e.CreateRepository(testenv.Ctx(t), &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
				t.Fatal(err)
			}
			m := s.manifestFor(Registry + "/" + repo + ":" + tag)
			if _, err := e.PutImage(testenv.Ctx(t), &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag),
				ImageManifest: aws.String(m), ImageManifestMediaType: aws.String(registry.MediaOCIIndex)}); err != nil {
				t.Fatal(err)
			}
		},
		secret: func(t *testing.T, name string, deleted bool) string {
			sm := c.SecretsManagerIn(Region)
			out, err := sm.CreateSecret(testenv.Ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("x")})
			if err != nil {
				t.Fatal(err)
			}
			if deleted {
				if _, err := sm.DeleteSecret(testenv.Ctx(t), &secretsmanager.DeleteSecretInput{SecretId: out.ARN, RecoveryWindowInDays: aws.Int64(7)}); err != nil {
					t.Fatal(err)
				}
			}
			return aws.ToString(out.ARN)
		},
	}
	const want = `repository missing: RepositoryNotFoundException
tag missing: failure ImageNotFound
tag pushed: application/vnd.oci.image.index.v1+json linux/amd64,linux/arm64
secret missing: ResourceNotFoundException
secret: stages AWSCURRENT, deleted false
secret deleted: deleted true`
	for name, side := range map[string]artifactSide{"sim": simSide, "moto": motoSide} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := artifactFacts(t, side); got != want {
				t.Fatalf("%s answers:\n%s\nwant:\n%s", name, got, want)
			}
		})
	}
}

func artifactFacts(t *testing.T, side artifactSide) string {
	ctx := context.Background()
	repo, name := testenv.Unique("repo"), testenv.Unique("secret")
	side.push(t, repo, "v1")
	get := func(repo, tag string) string {
		out, err := side.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: aws.String(Account), RepositoryName: aws.String(repo),
			ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}, AcceptedMediaTypes: registry.MediaTypes})
		switch {
		case err != nil:
			return awsx.Code(err)
		case len(out.Failures) > 0:
			return "failure " + string(out.Failures[0].FailureCode)
		case len(out.Images) != 1:
			return fmt.Sprintf("%d images", len(out.Images))
		}
		m, err := registry.ParseManifest(aws.ToString(out.Images[0].ImageManifestMediaType), []byte(aws.ToString(out.Images[0].ImageManifest)))
		if err != nil {
			return err.Error()
		}
		var ps []string
		for _, p := range m.Platforms {
			ps = append(ps, p.String())
		}
		return m.MediaType + " " + strings.Join(ps, ",")
	}
	describe := func(id string) string {
		out, err := side.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			return awsx.Code(err)
		}
		var stages []string
		for _, ss := range out.VersionIdsToStages {
			stages = append(stages, ss...)
		}
		slices.Sort(stages)
		return fmt.Sprintf("stages %s, deleted %v", strings.Join(stages, ","), out.DeletedDate != nil)
	}
	arn := side.secret(t, name, false)
	deleted := side.secret(t, name+"-old", true)
	lines := []string{
		"repository missing: " + get(repo+"-nope", "v1"),
		"tag missing: " + get(repo, "v9"),
		"tag pushed: " + get(repo, "v1"),
		"secret missing: " + describe("arn:aws:secretsmanager:us-east-1:123456789012:secret:"+name+"-nope-AbCdEf"),
		"secret: " + describe(arn),
		"secret deleted: " + strings.TrimPrefix(describe(deleted), "stages AWSCURRENT, "),
	}
	return strings.Join(lines, "\n")
}
