package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/registry"
)

// Registry is the simulated account's private ECR registry host.
const Registry = Account + ".dkr.ecr." + Region + ".amazonaws.com"

// ecrImage is one pushed image: an OCI index listing its platforms.
type ecrImage struct {
	digest   string
	tags     []string
	manifest string
}

// secret is one Secrets Manager secret: its versions' stages, and whether
// it is scheduled for deletion. It holds no value: nothing in omdeploy
// reads one.
type secret struct {
	arn      string
	versions map[string][]string // version id -> stages
	deleted  *time.Time
}

// PushImage stores image (REGISTRY/REPO:TAG, in this account's registry)
// as an OCI index listing platforms ("linux/amd64" when none are given),
// creating the repository if needed and moving the tag if it was on
// another image. It returns the index's digest.
func (s *Sim) PushImage(image string, platforms ...string) string {
	ref, err := imageref.Parse(image)
	if err != nil || ref.Registry != Registry || ref.Tag == "" {
		panic(fmt.Sprintf("sim: PushImage(%q): want %s/REPO:TAG", image, Registry))
	}
	body := indexManifest(image, platforms)
	sum := sha256.Sum256([]byte(body))
	img := &ecrImage{digest: "sha256:" + hex.EncodeToString(sum[:]), tags: []string{ref.Tag}, manifest: body}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repos == nil {
		s.repos = map[string][]*ecrImage{}
	}
	imgs := s.repos[ref.Repository]
	for _, old := range imgs {
		old.tags = slices.DeleteFunc(old.tags, func(t string) bool { return t == ref.Tag })
	}
	s.repos[ref.Repository] = append(imgs, img)
	return img.digest
}

// pulledDigest is the digest a task pulling image now gets, as ECS
// reports it in containers[].imageDigest: the digest the image names, else
// the one its tag is on in this account's registry now (so a tag pushed
// again after preflight shows), else "" for registries the simulator does
// not hold. s.mu is held.
func (s *Sim) pulledDigest(image string) string {
	ref, err := imageref.Parse(image)
	switch {
	case err != nil:
		return ""
	case ref.Digest != "":
		return ref.Digest
	case ref.Registry != Registry:
		return ""
	}
	for _, img := range s.repos[ref.Repository] {
		if slices.Contains(img.tags, ref.TagOrLatest()) {
			return img.digest
		}
	}
	return ""
}

// manifestFor is the index PushImage stores for image with the demo's
// platforms, for a test that pushes the same to moto.
func (s *Sim) manifestFor(image string) string { return indexManifest(image, DemoPlatforms) }

// indexManifest is an OCI index listing platforms ("linux/amd64" when none
// are given), each entry's digest derived from image and platform.
func indexManifest(image string, platforms []string) string {
	if len(platforms) == 0 {
		platforms = []string{"linux/amd64"}
	}
	type entry struct {
		MediaType string            `json:"mediaType"`
		Digest    string            `json:"digest"`
		Size      int               `json:"size"`
		Platform  registry.Platform `json:"platform"`
	}
	index := struct {
		SchemaVersion int     `json:"schemaVersion"`
		MediaType     string  `json:"mediaType"`
		Manifests     []entry `json:"manifests"`
	}{SchemaVersion: 2, MediaType: registry.MediaOCIIndex}
	for _, p := range platforms {
		os, arch, _ := strings.Cut(p, "/")
		sum := sha256.Sum256([]byte(image + " " + p))
		index.Manifests = append(index.Manifests, entry{MediaType: registry.MediaOCIManifest, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: 1024,
			Platform: registry.Platform{OS: os, Architecture: arch}})
	}
	body, _ := json.Marshal(index)
	return string(body)
}

// BatchGetImage answers with the manifest of each image asked for, or a
// failure per image that is not there, as ECR does; a repository that does
// not exist is RepositoryNotFoundException.
func (s *Sim) BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, _ ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "BatchGetImage"); err != nil {
		return nil, err
	}
	repo := aws.ToString(in.RepositoryName)
	imgs, ok := s.repos[repo]
	if !ok || aws.ToString(in.RegistryId) != Account && aws.ToString(in.RegistryId) != "" {
		return nil, apiError("RepositoryNotFoundException", fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", repo, aws.ToString(in.RegistryId)))
	}
	out := &ecr.BatchGetImageOutput{}
	for _, id := range in.ImageIds {
		i := slices.IndexFunc(imgs, func(m *ecrImage) bool {
			return (id.ImageTag == nil || slices.Contains(m.tags, *id.ImageTag)) && (id.ImageDigest == nil || m.digest == *id.ImageDigest)
		})
		if i < 0 {
			out.Failures = append(out.Failures, ecrtypes.ImageFailure{ImageId: &id, FailureCode: ecrtypes.ImageFailureCodeImageNotFound, FailureReason: aws.String("Requested image not found")})
			continue
		}
		m := imgs[i]
		out.Images = append(out.Images, ecrtypes.Image{
			RegistryId: aws.String(Account), RepositoryName: aws.String(repo),
			ImageId:       &ecrtypes.ImageIdentifier{ImageDigest: aws.String(m.digest), ImageTag: id.ImageTag},
			ImageManifest: aws.String(m.manifest), ImageManifestMediaType: aws.String(registry.MediaOCIIndex),
		})
	}
	return out, nil
}

// GetDownloadUrlForLayer is not simulated: every simulated image is an
// index, whose platforms need no config blob.
func (s *Sim) GetDownloadUrlForLayer(ctx context.Context, in *ecr.GetDownloadUrlForLayerInput, _ ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "GetDownloadUrlForLayer"); err != nil {
		return nil, err
	}
	return nil, apiError("LayersNotFoundException", "the simulator serves no layers")
}

// AddSecret creates a Secrets Manager secret with one version in
// AWSCURRENT and the stages given, and returns its ARN (with the six
// characters Secrets Manager appends to the name).
func (s *Sim) AddSecret(name string, stages ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secrets == nil {
		s.secrets = map[string]*secret{}
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:3])
	a := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", Region, Account, name, suffix)
	s.secrets[name] = &secret{arn: a, versions: map[string][]string{"v1-" + suffix: append([]string{"AWSCURRENT"}, stages...)}}
	return a
}

// ScheduleSecretDeletion marks the secret deleted in a week, as
// DeleteSecret with the default recovery window does.
func (s *Sim) ScheduleSecretDeletion(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.clk.Now().Add(7 * 24 * time.Hour)
	s.secrets[name].deleted = &at
}

// DescribeSecret answers with a secret's metadata: its versions' stages
// and deletion date. There is no GetSecretValue: nothing may read a value.
func (s *Sim) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeSecret"); err != nil {
		return nil, err
	}
	id := aws.ToString(in.SecretId)
	for name, sec := range s.secrets {
		// A full ARN, a partial ARN (without the suffix) or the name.
		if id == sec.arn || id == name || strings.HasSuffix(id, ":secret:"+name) {
			return &secretsmanager.DescribeSecretOutput{
				ARN: aws.String(sec.arn), Name: aws.String(name),
				VersionIdsToStages: sec.versions, DeletedDate: sec.deleted,
			}, nil
		}
	}
	return nil, apiError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// optional is s as an optional API string: nil when empty, as AWS leaves
// out a field it has no value for.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
