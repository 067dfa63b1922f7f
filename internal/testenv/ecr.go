package testenv

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/registry"
)

// motoIndex is an OCI index for linux/amd64 and linux/arm64, as buildx
// pushes a multi-platform image; the annotation makes each push's content,
// and so its digest, its own (a tag pushed again moves).
func motoIndex(build string) string {
	return `{"schemaVersion":2,"mediaType":"` + registry.MediaOCIIndex + `","manifests":[` +
		`{"mediaType":"` + registry.MediaOCIManifest + `","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1,"platform":{"os":"linux","architecture":"amd64"}},` +
		`{"mediaType":"` + registry.MediaOCIManifest + `","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":1,"platform":{"os":"linux","architecture":"arm64"}}],` +
		`"annotations":{"org.opencontainers.image.revision":"` + build + `"}}`
}

// PushImage pushes a multi-platform index under repo:tag to moto's ECR
// with ECR's PutImage, creating the repository when it is not there, and
// returns the image reference and the digest ECR gave it. build tells two
// pushes of one tag apart ("": the tag's name).
func PushImage(t testing.TB, c *awsx.Clients, repo, tag, build string) (image, digest string) {
	t.Helper()
	ctx := Ctx(t)
	e := c.ECRIn(MotoRegion)
	_, err := e.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)})
	var exists *ecrtypes.RepositoryAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("create repository %s: %v", repo, err)
	}
	if build == "" {
		build = tag
	}
	out, err := e.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag),
		ImageManifest: aws.String(motoIndex(build)), ImageManifestMediaType: aws.String(registry.MediaOCIIndex)})
	if err != nil {
		t.Fatalf("put image %s:%s: %v", repo, tag, err)
	}
	return fmt.Sprintf("123456789012.dkr.ecr.%s.amazonaws.com/%s:%s", MotoRegion, repo, tag), aws.ToString(out.Image.ImageId.ImageDigest)
}
