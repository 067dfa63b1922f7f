package deploy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestDeployComparesRunningDigests: after the rollout the digests the new
// tasks report (the simulator's tasks pull from its registry) are set
// against the ones preflight resolved, read with one DescribeTasks and
// none on the poll path; a tag pushed again between preflight and the pull
// is a warning, which pinning prevents.
func TestDeployComparesRunningDigests(t *testing.T) {
	image := sim.Registry + "/demo/app:v2"
	tests := []struct {
		name      string
		pin       bool
		moved     bool // the tag is pushed again after preflight resolved it
		wantMatch bool
		wantWarn  bool
	}{
		{name: "the tag stayed: the running digest is the planned one", wantMatch: true},
		{name: "the tag moved: a warning names both digests", moved: true, wantWarn: true},
		{name: "pinned, the tag moved: the tasks run the pinned digest", pin: true, moved: true, wantMatch: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api", Containers: []ecstypes.ContainerDefinition{
					{Name: aws.String("app"), Image: aws.String(sim.Registry + "/demo/app:v1"), Essential: aws.Bool(true)},
				}})
				planned := h.sim.PushImage(image, "linux/amd64")
				running := planned
				if tt.moved {
					running = h.sim.PushImage(image, "linux/amd64", "linux/arm64")
				}
				if tt.pin {
					running = planned
				}
				o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: time.Minute})
				o.Image, o.PinDigest = image, tt.pin
				o.Digests = map[string]map[string]string{"api": {image: planned}}
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if err != nil {
					t.Fatal(err)
				}
				ref := image
				if tt.pin {
					ref = imageref.Pin(image, planned)
				}
				want := []result.RunningImage{{Container: "app", Reference: ref, PlannedDigest: planned, RunningDigest: running, Match: tt.wantMatch}}
				if got := res.Services[0].Images; len(got) != 1 || got[0] != want[0] {
					t.Fatalf("images = %+v, want %+v", got, want)
				}
				var warned bool
				for _, w := range event.Of[event.Warning](h.rec.Events()) {
					if strings.Contains(w.Message, "runs "+running+", not "+planned) && strings.Contains(w.Message, "pin_digest") {
						warned = true
					}
				}
				if warned != tt.wantWarn {
					t.Errorf("warned = %v, want %v (events %+v)", warned, tt.wantWarn, event.Of[event.Warning](h.rec.Events()))
				}
				if n := h.sim.Calls()["DescribeTasks"]; n != 1 {
					t.Errorf("DescribeTasks called %d times, want once, after the rollout", n)
				}
			})
		})
	}
}

// TestPinDigestWithoutDigestRegistersNothing: pinning asked for and no
// digest resolved (the pipeline hands the engine none) fails the service
// at preflight, exit 3, before RegisterTaskDefinition.
func TestPinDigestWithoutDigestRegistersNothing(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api"})
		o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: time.Minute, PinDigest: true})
		o.Tag = "v2"
		_, err := h.run(context.Background(), deploy.Deploy, o)
		if failure.ExitCode(err) != failure.ExitPreflight || !strings.Contains(err.Error(), "no digest was resolved for app") {
			t.Fatalf("err = %v (exit %d), want exit 3 naming the unresolved container", err, failure.ExitCode(err))
		}
		if n := h.sim.Calls()["RegisterTaskDefinition"]; n != 0 {
			t.Fatalf("RegisterTaskDefinition called %d times", n)
		}
	})
}
