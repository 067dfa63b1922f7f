package preflight

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/registry"
)

// Images and secrets of the world, for images.exist and secrets.exist.
const (
	testECR      = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	testAppImage = testECR + "/tech/app:v1"
	// testGHCRImage is the world's app image: not in ECR, so that the IAM
	// simulation of a default world asks nothing of ECR. ecrWorld moves it.
	testGHCRImage = "ghcr.io/tech/app:v1"
	testSidecar   = "envoyproxy/envoy:v1.30"
	testSecret    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tech/db-AbCdEf"
)

// fakeImage is a manifest as a registry (ECR or another) holds it.
type fakeImage struct {
	digest    string
	mediaType string
	manifest  string
	config    registry.Platform // a single manifest's config blob
}

func indexOf(digest string, platforms ...string) fakeImage {
	m := `{"schemaVersion":2,"mediaType":"` + registry.MediaOCIIndex + `","manifests":[`
	for i, p := range platforms {
		if i > 0 {
			m += ","
		}
		os, arch, _ := cut(p)
		m += fmt.Sprintf(`{"digest":"sha256:%02d","platform":{"os":%q,"architecture":%q}}`, i, os, arch)
	}
	return fakeImage{digest: digest, mediaType: registry.MediaOCIIndex, manifest: m + "]}"}
}

func singleOf(digest string, config registry.Platform) fakeImage {
	return fakeImage{digest: digest, mediaType: registry.MediaDockerManifest, config: config,
		manifest: `{"schemaVersion":2,"mediaType":"` + registry.MediaDockerManifest + `","config":{"digest":"sha256:c0ffee"}}`}
}

func cut(p string) (string, string, bool) {
	for i := range p {
		if p[i] == '/' {
			return p[:i], p[i+1:], true
		}
	}
	return p, "", false
}

func digestOf(n int) string { return fmt.Sprintf("sha256:%064d", n) }

// artifacts is the world's ECR, other registries and Secrets Manager.
// Tests set its fields before Run; the fakes read them while checks run.
type artifacts struct {
	ecr        map[string]map[string]fakeImage // "account/region/repo" -> tag or digest -> image
	ecrErr     error
	layerErr   error                // GetDownloadUrlForLayer's answer
	registries map[string]fakeImage // imageref.Ref.String() without tag/digest + ":" + reference -> image
	regErr     map[string]error     // same keys: the error Resolve returns
	secrets    map[string]*secretsmanager.DescribeSecretOutput
	smErr      error

	mu       sync.Mutex
	ecrCalls []string // "region registryId repo id"
	smCalls  []string // "region secretId"
}

func newArtifacts() *artifacts {
	return &artifacts{
		ecr: map[string]map[string]fakeImage{
			"123456789012/us-east-1/tech/app": {
				"v1": indexOf(digestOf(1), "linux/amd64", "linux/arm64"),
				"v2": indexOf(digestOf(2), "linux/amd64"),
			},
		},
		registries: map[string]fakeImage{
			"docker.io/envoyproxy/envoy:v1.30": indexOf(digestOf(30), "linux/amd64", "linux/arm64"),
			"ghcr.io/tech/app:v1":              indexOf(digestOf(31), "linux/amd64"),
		},
		regErr: map[string]error{},
		secrets: map[string]*secretsmanager.DescribeSecretOutput{
			testSecret: {ARN: aws.String(testSecret), VersionIdsToStages: map[string][]string{"v-1": {"AWSCURRENT"}, "v-0": {"AWSPREVIOUS"}}},
		},
	}
}

// ecrWorld is the world with its app image in ECR.
func ecrWorld() *world {
	w := newWorld()
	w.taskDef.ContainerDefinitions[0].Image = aws.String(testAppImage)
	return w
}

func (a *artifacts) ecrIn(region string) ECRAPI { return &fakeECR{a: a, region: region} }

func (a *artifacts) secretsIn(region string) SecretsManagerAPI {
	return &fakeSecrets{a: a, region: region}
}

func (a *artifacts) calls() (ecrCalls, smCalls []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.ecrCalls), slices.Clone(a.smCalls)
}

type fakeECR struct {
	a      *artifacts
	region string
}

func (f *fakeECR) BatchGetImage(_ context.Context, in *ecr.BatchGetImageInput, _ ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	id := aws.ToString(in.ImageIds[0].ImageTag) + aws.ToString(in.ImageIds[0].ImageDigest)
	f.a.mu.Lock()
	f.a.ecrCalls = append(f.a.ecrCalls, fmt.Sprintf("%s %s %s %s", f.region, aws.ToString(in.RegistryId), aws.ToString(in.RepositoryName), id))
	f.a.mu.Unlock()
	if f.a.ecrErr != nil {
		return nil, f.a.ecrErr
	}
	repo, ok := f.a.ecr[aws.ToString(in.RegistryId)+"/"+f.region+"/"+aws.ToString(in.RepositoryName)]
	if !ok {
		return nil, apiErr("RepositoryNotFoundException")
	}
	img, ok := repo[id]
	for _, byDigest := range repo {
		if byDigest.digest == id {
			img, ok = byDigest, true
		}
	}
	if !ok {
		return &ecr.BatchGetImageOutput{Failures: []ecrtypes.ImageFailure{{FailureCode: ecrtypes.ImageFailureCodeImageNotFound, FailureReason: aws.String("Requested image not found")}}}, nil
	}
	return &ecr.BatchGetImageOutput{Images: []ecrtypes.Image{{
		ImageId:       &ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.digest)},
		ImageManifest: aws.String(img.manifest), ImageManifestMediaType: aws.String(img.mediaType),
	}}}, nil
}

func (f *fakeECR) GetDownloadUrlForLayer(_ context.Context, in *ecr.GetDownloadUrlForLayerInput, _ ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error) {
	if f.a.layerErr != nil {
		return nil, f.a.layerErr
	}
	return &ecr.GetDownloadUrlForLayerOutput{DownloadUrl: aws.String("ecr-blob:" + aws.ToString(in.RepositoryName))}, nil
}

type fakeSecrets struct {
	a      *artifacts
	region string
}

func (f *fakeSecrets) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.a.mu.Lock()
	f.a.smCalls = append(f.a.smCalls, f.region+" "+aws.ToString(in.SecretId))
	f.a.mu.Unlock()
	if f.a.smErr != nil {
		return nil, f.a.smErr
	}
	out, ok := f.a.secrets[aws.ToString(in.SecretId)]
	if !ok {
		return nil, apiErr("ResourceNotFoundException")
	}
	return out, nil
}

// The artifacts are also the registry client: other registries by
// reference, and the config blobs of single manifests.
func (a *artifacts) Resolve(_ context.Context, ref imageref.Ref) (registry.Manifest, error) {
	key := ref.Registry + "/" + ref.Repository + ":" + ref.Reference()
	if err := a.regErr[key]; err != nil {
		return registry.Manifest{}, err
	}
	img, ok := a.registries[key]
	if !ok {
		return registry.Manifest{}, fmt.Errorf("manifest %s: %w (404 MANIFEST_UNKNOWN)", ref.Reference(), registry.ErrNotFound)
	}
	m, err := registry.ParseManifest(img.mediaType, []byte(img.manifest))
	m.Digest = img.digest
	return m, err
}

func (a *artifacts) Platform(_ context.Context, ref imageref.Ref, _ string) (registry.Platform, error) {
	return a.registries[ref.Registry+"/"+ref.Repository+":"+ref.Reference()].config, nil
}

func (a *artifacts) ConfigAt(_ context.Context, url string) (registry.Platform, error) {
	for key, repo := range a.ecr {
		for _, img := range repo {
			if "ecr-blob:"+key[len("123456789012/us-east-1/"):] == url && img.config.OS != "" {
				return img.config, nil
			}
		}
	}
	return registry.Platform{}, fmt.Errorf("no blob at %s", url)
}

var (
	_ ECRAPI            = (*fakeECR)(nil)
	_ SecretsManagerAPI = (*fakeSecrets)(nil)
	_ RegistryAPI       = (*artifacts)(nil)
)
