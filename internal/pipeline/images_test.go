package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go/middleware"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
	"github.com/omdeploy/omdeploy/internal/testenv"
	"github.com/omdeploy/omdeploy/preflight"
)

// The demo's missing-image scenario stops at preflight naming the
// repository, tag and region, and registers nothing.
func TestMissingImageRegistersNothing(t *testing.T) {
	t.Parallel()
	env, opts, _ := prepared(t, "missing-image")
	res, err := pipeline.Deploy(t.Context(), opts)
	if failure.ExitCode(err) != failure.ExitPreflight {
		t.Fatalf("exit = %d (%v), want %d", failure.ExitCode(err), err, failure.ExitPreflight)
	}
	c := findCheck(t, res.Checks, preflight.IDImagesExist, "web")
	if c.Status != event.StatusFail || c.RunbookID != runbook.ImageMissing ||
		!strings.Contains(c.Message, "tag "+sim.DemoTagMissing+" not found in ECR repository demo/web (account 123456789012, us-east-1)") {
		t.Fatalf("images.exist = %+v", c)
	}
	if n := env.Account.Calls()["RegisterTaskDefinition"]; n != 0 {
		t.Fatalf("RegisterTaskDefinition called %d times after a failed preflight", n)
	}
}

// The engine's --tag reaches preflight: a pushed tag passes with its
// digest, where the current tag's digest would be another.
func TestPipelinePassesTheTagToPreflight(t *testing.T) {
	t.Parallel()
	env, opts, _ := prepared(t, "healthy")
	opts.Engine.Tag = "v3"
	want := env.Account.PushImage(sim.Registry+"/demo/web:v3", "linux/amd64")
	checks, err := pipeline.Preflight(t.Context(), opts)
	if err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	c := findCheck(t, checks, preflight.IDImagesExist, "web")
	if !strings.Contains(c.Message, "demo/web:v3 (us-east-1) is "+want) {
		t.Fatalf("images.exist = %q, want the digest of v3 %s", c.Message, want)
	}
	if got := preflight.ResolvedImages(checks, "web"); len(got) != 1 || got[0].Digest != want {
		t.Fatalf("ResolvedImages = %+v", got)
	}
}

// TestMotoMissingTagRegistersNothing deploys an image tag that was never
// pushed to moto's ECR with the real SDK clients, counting every
// operation: preflight fails naming repository, tag and region, and
// RegisterTaskDefinition is never sent.
func TestMotoMissingTagRegistersNothing(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	ops := map[string]int{}
	count := func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countOps", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			mu.Lock()
			ops[awsmiddleware.GetOperationName(ctx)]++
			mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	}
	cfg := aws.Config{Region: testenv.MotoRegion, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		APIOptions: []func(*middleware.Stack) error{count}}
	c := awsx.New(cfg, awsx.Options{RegionSource: awsx.RegionFromFlag, EndpointURL: testenv.MotoEndpoint(t)})

	repo := testenv.Unique("repo")
	if _, err := c.ECRIn(testenv.MotoRegion).CreateRepository(t.Context(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		t.Fatal(err)
	}
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + repo + ":never-pushed"
	cfgFile := &config.File{
		Path: filepath.Join(t.TempDir(), "omdeploy.yaml"), Region: testenv.MotoRegion,
		Services: []config.Service{{Name: "app", Cluster: f.Cluster, Service: f.Service, Container: "app"}},
	}
	mu.Lock()
	clear(ops)
	mu.Unlock()
	res, err := pipeline.Deploy(t.Context(), pipeline.Options{
		Config: cfgFile, Services: cfgFile.Services, AWS: pipeline.FromClients(c, nil),
		Engine: deploy.Options{Image: image},
	})
	if failure.ExitCode(err) != failure.ExitPreflight {
		t.Fatalf("exit = %d (%v), want %d", failure.ExitCode(err), err, failure.ExitPreflight)
	}
	ch := findCheck(t, res.Checks, preflight.IDImagesExist, "app")
	if ch.Status != event.StatusFail || !strings.Contains(ch.Message, "tag never-pushed not found in ECR repository "+repo+" (account 123456789012, us-east-1)") {
		t.Fatalf("images.exist = %+v", ch)
	}
	mu.Lock()
	defer mu.Unlock()
	if ops["BatchGetImage"] == 0 || ops["RegisterTaskDefinition"] != 0 || ops["UpdateService"] != 0 {
		t.Fatalf("operations = %v: want BatchGetImage, and no RegisterTaskDefinition or UpdateService", ops)
	}
}

func findCheck(t *testing.T, checks []preflight.Check, id, service string) preflight.Check {
	t.Helper()
	for _, c := range checks {
		if c.ID == id && c.Service == service {
			return c
		}
	}
	t.Fatalf("no check %s for %s in %+v", id, service, checks)
	return preflight.Check{}
}

// TestTagMovedAfterPreflight pushes the tag again the moment images.exist
// has resolved it, before the engine registers and the tasks pull: the
// tasks run the new digest, which the run reports as a mismatch with the
// runbook fix; pinned, the revision names the checked digest and the tasks
// run it.
func TestTagMovedAfterPreflight(t *testing.T) {
	t.Parallel()
	for _, pin := range []bool{false, true} {
		t.Run(fmt.Sprintf("pin_digest %v", pin), func(t *testing.T) {
			t.Parallel()
			env, opts, rec := prepared(t, "healthy")
			image := sim.Registry + "/demo/web:v2"
			var planned, moved string
			opts.Reporter = event.Tee{opts.Reporter, event.Func(func(e event.Event) {
				if c, ok := e.(event.CheckFinished); ok && c.ID == preflight.IDImagesExist && c.Service == "web" {
					moved = env.Account.PushImage(image, "linux/amd64") // another index: another digest
				}
			})}
			opts.Engine.PinDigest = pin
			res, err := pipeline.Deploy(t.Context(), opts)
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			for _, img := range preflight.ResolvedImages(res.Checks, "web") {
				planned = img.Digest
			}
			var web []result.RunningImage
			for _, s := range res.Services {
				if s.Name == "web" {
					web = s.Images
				}
			}
			want := result.RunningImage{Container: "app", Reference: image, PlannedDigest: planned, RunningDigest: moved}
			if pin {
				want = result.RunningImage{Container: "app", Reference: imageref.Pin(image, planned), PlannedDigest: planned, RunningDigest: planned, Match: true}
			}
			if planned == "" || planned == moved || len(web) != 1 || web[0] != want {
				t.Fatalf("web images = %+v, want %+v (resolved %s, moved to %s)", web, want, planned, moved)
			}
			warned := rec.count(func(e event.Event) bool {
				w, ok := e.(event.Warning)
				return ok && w.Service == "web" && strings.Contains(w.Message, "the tag moved after preflight")
			})
			if (warned > 0) == pin {
				t.Errorf("%d mismatch warnings with pin_digest %v", warned, pin)
			}
		})
	}
}
