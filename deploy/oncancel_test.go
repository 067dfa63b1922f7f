package deploy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestOnCancel interrupts a deploy mid-rollout (the context cancelled, as
// by Ctrl-C or SIGTERM) on both paths: --on-cancel leave lets ECS carry on;
// rollback stops the service deployment with ROLLBACK and follows it to
// ROLLBACK_SUCCESSFUL, or, through deployments[], updates the service back
// and follows that. The run exits 130 either way.
func TestOnCancel(t *testing.T) {
	tests := []struct {
		name       string
		legacy     bool // the endpoint has no service deployments
		onCancel   string
		wantRev    string
		wantStops  []ecstypes.StopServiceDeploymentStopType
		wantUpd    int // UpdateService calls
		wantBack   bool
		noRollback bool
	}{
		{name: "leave: ECS carries on", onCancel: deploy.OnCancelLeave, wantRev: "api:2", wantUpd: 1},
		{name: "rollback, service deployment: StopServiceDeployment(ROLLBACK) followed", onCancel: deploy.OnCancelRollback,
			wantRev: "api:1", wantStops: []ecstypes.StopServiceDeploymentStopType{ecstypes.StopServiceDeploymentStopTypeRollback}, wantUpd: 1, wantBack: true},
		{name: "rollback, deployments[]: updated back and followed", legacy: true, onCancel: deploy.OnCancelRollback,
			wantRev: "api:1", wantUpd: 2, wantBack: true},
		{name: "leave, deployments[]", legacy: true, wantRev: "api:2", wantUpd: 1},
		{name: "rollback wins over --no-rollback, which speaks of failures", onCancel: deploy.OnCancelRollback, noRollback: true,
			wantRev: "api:1", wantStops: []ecstypes.StopServiceDeploymentStopType{ecstypes.StopServiceDeploymentStopTypeRollback}, wantUpd: 1, wantBack: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				if tt.legacy {
					h.sim.WithoutServiceDeployments()
				}
				svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
				h.sim.Script("prod", "api", sim.Slow(10*time.Minute))
				api := &hookRecorder{Sim: h.sim}
				o := h.opts(svc)
				o.ECS, o.Tag, o.OnCancel, o.NoRollback = api, "v2", tt.onCancel, tt.noRollback
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var once sync.Once
				h.on(func(e event.Event) {
					switch e.(type) {
					case event.DeploymentProgress, event.ServiceDeploymentProgress:
						once.Do(func() { time.AfterFunc(time.Minute, cancel) }) // Ctrl-C a minute into the rollout
					}
				})
				res, err := h.run(ctx, deploy.Deploy, o)
				if got := failure.ExitCode(err); got != failure.ExitInterrupted {
					t.Fatalf("exit = %d, want 130; err = %v", got, err)
				}
				_, stops := api.sent()
				if len(stops) != len(tt.wantStops) || (len(stops) > 0 && stops[0] != tt.wantStops[0]) {
					t.Errorf("StopServiceDeployment sent %v, want %v", stops, tt.wantStops)
				}
				if got := h.sim.Calls()["UpdateService"]; got != tt.wantUpd {
					t.Errorf("UpdateService calls = %d, want %d", got, tt.wantUpd)
				}
				sr := res.Services[0]
				if sr.RolledBack != tt.wantBack || !strings.HasSuffix(currentTaskDef(t, h), "/"+tt.wantRev) {
					t.Errorf("rolled back %v, service on %s; want rolled back %v, on %s", sr.RolledBack, currentTaskDef(t, h), tt.wantBack, tt.wantRev)
				}
				if tt.wantBack && !tt.legacy && sr.Status != "ROLLBACK_SUCCESSFUL" {
					t.Errorf("status = %q, want ROLLBACK_SUCCESSFUL", sr.Status)
				}
				if want := "--on-cancel rollback"; tt.wantBack != strings.Contains(err.Error(), want) {
					t.Errorf("err = %v; want it to say %q: %v", err, want, tt.wantBack)
				}
			})
		})
	}
}
