package pipeline_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/registry"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// registryDigest is the digest the test registry gives pub/app:v2.
const registryDigest = "sha256:3333333333333333333333333333333333333333333333333333333333333333"

// testRegistry speaks the registry v2 API: pub/app:v2 answers anyone with
// a linux/amd64 index, private/app wants credentials (Basic).
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/pub/app/manifests/v2":
			w.Header().Set("Content-Type", registry.MediaOCIIndex)
			w.Header().Set("Docker-Content-Digest", registryDigest)
			fmt.Fprintf(w, `{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":"sha256:%s","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}`,
				registry.MediaOCIIndex, registry.MediaOCIManifest, strings.Repeat("4", 64))
		default:
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestPinDigestFromAnotherRegistry: an image outside ECR is pinned with
// the digest images.exist read from the registry's v2 API, and the
// running tasks report it; a registry that wants credentials leaves the
// digest unknown, so the run stops at preflight with nothing registered.
func TestPinDigestFromAnotherRegistry(t *testing.T) {
	t.Parallel()
	host := testRegistry(t)
	reg := registry.New(registry.Options{PlainHTTPLoopback: true, RetryMax: -1, AttemptTimeout: 5 * time.Second})

	t.Run("an anonymous registry's digest is registered and running", func(t *testing.T) {
		t.Parallel()
		env, opts, _ := prepared(t, "healthy")
		image := host + "/pub/app:v2"
		opts.Engine.Tag, opts.Engine.Image, opts.Engine.PinDigest = "", image, true
		opts.Preflight.Registry = reg
		res, err := pipeline.Deploy(t.Context(), opts)
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		want := imageref.Pin(image, registryDigest)
		for _, s := range res.Services {
			out, err := env.Account.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.TaskDefinition)})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.TaskDefinition.ContainerDefinitions[0].Image); got != want {
				t.Errorf("%s registered %q, want %q", s.Name, got, want)
			}
			if len(s.Images) != 1 || !s.Images[0].Match || s.Images[0].RunningDigest != registryDigest {
				t.Errorf("%s images = %+v, want the pinned digest running", s.Name, s.Images)
			}
		}
	})

	t.Run("a registry that wants credentials stops the run at preflight", func(t *testing.T) {
		t.Parallel()
		env, opts, _ := prepared(t, "healthy")
		opts.Engine.Tag, opts.Engine.Image, opts.Engine.PinDigest = "", host+"/private/app:v2", true
		opts.Preflight.Registry = reg
		_, err := pipeline.Deploy(t.Context(), opts)
		var fe *failure.Error
		if failure.ExitCode(err) != failure.ExitPreflight || !errors.As(err, &fe) || fe.RunbookID != runbook.ImageDigestUnresolved ||
			!strings.Contains(err.Error(), host+"/private/app:v2") {
			t.Fatalf("err = %v (exit %d), want exit 3 with %s naming the image", err, failure.ExitCode(err), runbook.ImageDigestUnresolved)
		}
		if n := env.Account.Calls()["RegisterTaskDefinition"]; n != 0 {
			t.Fatalf("RegisterTaskDefinition called %d times", n)
		}
	})
}
