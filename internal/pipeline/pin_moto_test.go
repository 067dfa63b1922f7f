package pipeline_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
	"github.com/omdeploy/omdeploy/preflight"
)

// motoService is one moto fixture as a config service, with what a test
// asks of it.
type motoService struct {
	c   *awsx.Clients
	f   testenv.Fixture
	svc config.Service
}

func newMotoService(t *testing.T, c *awsx.Clients, o testenv.FixtureOptions) motoService {
	t.Helper()
	f := testenv.NewFixture(t, c, o)
	return motoService{c: c, f: f, svc: config.Service{Name: "app", Cluster: f.Cluster, Service: f.Service, Container: "app", WaitTimeout: config.DefaultWaitTimeout}}
}

func (m motoService) options(t *testing.T, engine deploy.Options) pipeline.Options {
	return pipeline.Options{
		Config:    &config.File{Path: filepath.Join(t.TempDir(), "omdeploy.yaml"), Region: testenv.MotoRegion, Services: []config.Service{m.svc}},
		Services:  []config.Service{m.svc},
		AWS:       pipeline.FromClients(m.c, nil),
		Engine:    engine,
		Preflight: pipeline.PreflightOptions{AllowInProgress: true},
	}
}

// revisions counts the fixture family's revisions.
func (m motoService) revisions(t *testing.T) int {
	t.Helper()
	out, err := m.c.ECS.ListTaskDefinitions(testenv.Ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(m.f.Family)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.TaskDefinitionArns)
}

// images returns each container's image in task definition arn.
func (m motoService) images(t *testing.T, arn string) map[string]string {
	t.Helper()
	out, err := m.c.ECS.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cd := range out.TaskDefinition.ContainerDefinitions {
		got[aws.ToString(cd.Name)] = aws.ToString(cd.Image)
	}
	return got
}

// file is the fixture's live task definition as a task definition file,
// with the app container's image set to image.
func (m motoService) file(t *testing.T, image string) *ecs.RegisterTaskDefinitionInput {
	t.Helper()
	out, err := m.c.ECS.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(m.f.TaskDefinition)})
	if err != nil {
		t.Fatal(err)
	}
	in := deploy.RegisterInput(*out.TaskDefinition, nil)
	for i, cd := range in.ContainerDefinitions {
		if aws.ToString(cd.Name) == "app" {
			in.ContainerDefinitions[i].Image = aws.String(image)
		}
	}
	return in
}

// TestMotoPinDigest deploys with pinning through the whole pipeline, with
// the real SDK clients against moto's ECS and ECR (images pushed with
// PutImage): the revision registered names every image by the digest
// images.exist resolved, and an image whose digest is unknown stops the
// run at preflight with nothing registered.
func TestMotoPinDigest(t *testing.T) {
	t.Parallel()
	c := testenv.Moto(t)
	appRepo, envoyRepo := testenv.Unique("app"), testenv.Unique("envoy")
	appImage, appDigest := testenv.PushImage(t, c, appRepo, "v2", "")
	envoyImage, envoyDigest := testenv.PushImage(t, c, envoyRepo, "v1.31", "")
	both := map[string]string{"app": appImage, "envoy": envoyImage}
	pinned := map[string]string{"app": imageref.Pin(appImage, appDigest), "envoy": imageref.Pin(envoyImage, envoyDigest)}

	tests := []struct {
		name       string
		engine     deploy.Options
		configPin  bool
		skip       bool
		wantChecks []string // the checks that ran; nil: not compared
	}{
		{name: "--pin-digest pins every image with preflight's digests", engine: deploy.Options{Images: both, PinDigest: true}},
		{name: "pin_digest in the config pins too", engine: deploy.Options{Images: both}, configPin: true},
		{name: "--skip-preflight runs images.exist alone for the digests", engine: deploy.Options{Images: both, PinDigest: true}, skip: true,
			wantChecks: []string{preflight.IDImagesExist}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newMotoService(t, c, testenv.FixtureOptions{})
			m.svc.PinDigest = tt.configPin
			opts := m.options(t, tt.engine)
			opts.Preflight.Skip = tt.skip
			res, err := pipeline.Deploy(testenv.Ctx(t), opts)
			if err != nil {
				t.Fatalf("deploy: %v\nchecks: %+v", err, res.Checks)
			}
			if tt.wantChecks != nil {
				var ran []string
				for _, ch := range res.Checks {
					ran = append(ran, ch.ID)
				}
				if strings.Join(ran, ",") != strings.Join(tt.wantChecks, ",") {
					t.Errorf("checks run = %v, want %v", ran, tt.wantChecks)
				}
			}
			got := m.images(t, res.Services[0].TaskDefinition)
			for name, want := range pinned {
				if got[name] != want {
					t.Errorf("registered %s image = %q, want %q", name, got[name], want)
				}
			}
			// moto's tasks report no containers[].imageDigest: the
			// comparison has the planned digests and no running ones, and
			// so no match and no warning.
			digests := map[string]string{"app": appDigest, "envoy": envoyDigest}
			for _, img := range res.Services[0].Images {
				if img.PlannedDigest != digests[img.Container] || img.RunningDigest != "" || img.Match {
					t.Errorf("images = %+v, want the planned digests and no running one", res.Services[0].Images)
				}
			}
			if len(res.Services[0].Images) != 2 {
				t.Errorf("images = %+v, want both containers", res.Services[0].Images)
			}
		})
	}

	t.Run("plan shows the pinned references", func(t *testing.T) {
		t.Parallel()
		m := newMotoService(t, c, testenv.FixtureOptions{})
		res, err := pipeline.Deploy(testenv.Ctx(t), m.options(t, deploy.Options{Images: both, PinDigest: true, DryRun: true}))
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		p := res.Services[0].Plan
		var shown []string
		for _, ch := range p.Containers {
			shown = append(shown, ch.Name+"="+ch.Image)
		}
		if want := "app=" + pinned["app"] + ",envoy=" + pinned["envoy"]; strings.Join(shown, ",") != want {
			t.Errorf("plan containers = %v, want %s", shown, want)
		}
		if m.revisions(t) != 1 {
			t.Errorf("a plan registered a revision")
		}
	})

	t.Run("an unresolved digest stops the run before anything is written", func(t *testing.T) {
		t.Parallel()
		// The sidecar stays on Docker Hub, which a run against an
		// endpoint override does not ask: images.exist skips it.
		m := newMotoService(t, c, testenv.FixtureOptions{})
		res, err := pipeline.Deploy(testenv.Ctx(t), m.options(t, deploy.Options{Images: map[string]string{"app": appImage}, PinDigest: true}))
		var fe *failure.Error
		if failure.ExitCode(err) != failure.ExitPreflight || !errors.As(err, &fe) || fe.RunbookID != runbook.ImageDigestUnresolved ||
			!strings.Contains(err.Error(), "envoy (envoyproxy/envoy:v1.30)") {
			t.Fatalf("err = %v (exit %d), want exit 3, %s naming the sidecar", err, failure.ExitCode(err), runbook.ImageDigestUnresolved)
		}
		if fe.Fix == "" || !strings.Contains(fe.Fix, "@sha256") {
			t.Errorf("fix = %q, want how to pass the digest", fe.Fix)
		}
		if len(res.Services) != 0 || m.revisions(t) != 1 {
			t.Errorf("the engine ran (%+v) or a revision was registered (%d)", res.Services, m.revisions(t))
		}
	})
}

// TestMotoImagesExistChecksTheFile: with a task definition file, the
// images checked are the file's (with the run's change), not the live
// definition's, against moto's ECR with the real SDK clients.
func TestMotoImagesExistChecksTheFile(t *testing.T) {
	t.Parallel()
	c := testenv.Moto(t)
	repo := testenv.Unique("app")
	present, _ := testenv.PushImage(t, c, repo, "v2", "")
	sidecar, _ := testenv.PushImage(t, c, testenv.Unique("envoy"), "v1", "")
	missing := strings.TrimSuffix(present, ":v2") + ":never-pushed"

	t.Run("a file's missing tag fails naming repository, tag and region; nothing is registered", func(t *testing.T) {
		t.Parallel()
		m := newMotoService(t, c, testenv.FixtureOptions{AppImage: present, SidecarImage: sidecar})
		opts := m.options(t, deploy.Options{TaskDefinitions: map[string]*ecs.RegisterTaskDefinitionInput{"app": m.file(t, missing)}})
		res, err := pipeline.Deploy(testenv.Ctx(t), opts)
		if failure.ExitCode(err) != failure.ExitPreflight {
			t.Fatalf("exit = %d (%v), want %d", failure.ExitCode(err), err, failure.ExitPreflight)
		}
		ch := findCheck(t, res.Checks, preflight.IDImagesExist, "app")
		if ch.Status != event.StatusFail || ch.RunbookID != runbook.ImageMissing ||
			!strings.Contains(ch.Message, "tag never-pushed not found in ECR repository "+repo+" (account 123456789012, us-east-1)") {
			t.Fatalf("images.exist = %+v", ch)
		}
		if m.revisions(t) != 1 {
			t.Errorf("a revision was registered after a failed preflight")
		}
	})

	t.Run("a live definition's missing tag does not matter when the file's exists", func(t *testing.T) {
		t.Parallel()
		m := newMotoService(t, c, testenv.FixtureOptions{AppImage: missing, SidecarImage: sidecar})
		opts := m.options(t, deploy.Options{TaskDefinitions: map[string]*ecs.RegisterTaskDefinitionInput{"app": m.file(t, present)}})
		checks, err := pipeline.Preflight(testenv.Ctx(t), opts)
		ch := findCheck(t, checks, preflight.IDImagesExist, "app")
		if err != nil || ch.Status != event.StatusPass || !strings.Contains(ch.Message, repo+":v2") {
			t.Fatalf("preflight: %v; images.exist = %+v", err, ch)
		}
		// The live definition alone fails, so the pass above is the file's.
		checks, _ = pipeline.Preflight(testenv.Ctx(t), m.options(t, deploy.Options{}))
		if ch := findCheck(t, checks, preflight.IDImagesExist, "app"); ch.Status != event.StatusFail {
			t.Fatalf("images.exist of the live definition = %+v, want a failure", ch)
		}
	})
}
