package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// var _ keeps the simulator able to release hooks like ECS.
var _ deploy.ServiceDeploymentContinuer = (*sim.Sim)(nil)

// TestWaitUntilThenContinue deploys a blue/green service gated by a PAUSE
// hook after the test traffic shift: --wait-until stops there with the
// deployment still in progress, and Continue releases the hook and follows
// the rest to SUCCESSFUL (or to the next gate).
func TestWaitUntilThenContinue(t *testing.T) {
	gate := ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift
	tests := []struct {
		name           string
		pauseAt        []ecstypes.DeploymentLifecycleHookStage
		waitUntil      string // of the deploy
		continueUntil  string // of the continue
		wantDeployAt   string // lifecycle stage where the deploy stopped
		rollback       bool   // continue --rollback
		wantContinueTo string // status, then stage, where continue stopped (a prefix)
		wantRevision   string // the revision the service runs at the end
	}{
		{"stop at the hook, continue to the end", []ecstypes.DeploymentLifecycleHookStage{gate}, deploy.WaitUntilPaused, "", "POST_TEST_TRAFFIC_SHIFT", false, "SUCCESSFUL CLEAN_UP", "/api:2"},
		{"stop at the hook by its first name, continue until completed", []ecstypes.DeploymentLifecycleHookStage{gate}, "hook", deploy.WaitUntilCompleted, "POST_TEST_TRAFFIC_SHIFT", false, "SUCCESSFUL CLEAN_UP", "/api:2"},
		{"stop at a named stage, continue to the end", []ecstypes.DeploymentLifecycleHookStage{gate}, "POST_TEST_TRAFFIC_SHIFT", "", "POST_TEST_TRAFFIC_SHIFT", false, "SUCCESSFUL CLEAN_UP", "/api:2"},
		{"two gates: continue stops at the next hook", []ecstypes.DeploymentLifecycleHookStage{gate, ecstypes.DeploymentLifecycleHookStagePostProductionTrafficShift},
			deploy.WaitUntilPaused, deploy.WaitUntilPaused, "POST_TEST_TRAFFIC_SHIFT", false, "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT", "/api:2"},
		{"stop at the hook, continue --rollback: ECS's rollback is success", []ecstypes.DeploymentLifecycleHookStage{gate}, deploy.WaitUntilPaused, "", "POST_TEST_TRAFFIC_SHIFT", true, "ROLLBACK_SUCCESSFUL", "/api:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
				h.sim.SetStrategy("prod", "api", sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, PauseAt: tt.pauseAt})
				o := h.opts(svc)
				o.Tag, o.WaitUntil = "v2", tt.waitUntil
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if err != nil {
					t.Fatalf("deploy: %v", err)
				}
				sr := res.Services[0]
				if sr.Status != "IN_PROGRESS" || sr.LifecycleStage != tt.wantDeployAt || h.health.count() != 0 {
					t.Fatalf("deploy ended %s at %s with %d health checks; want IN_PROGRESS at %s, none", sr.Status, sr.LifecycleStage, h.health.count(), tt.wantDeployAt)
				}
				if w := event.Of[event.Warning](h.rec.Events()); len(w) != 1 || !strings.Contains(w[0].Message, "--wait-until") {
					t.Errorf("warnings %+v, want one saying where it stopped", w)
				}
				time.Sleep(10 * time.Minute) // the hook keeps the deployment waiting
				if arn, hook := h.sim.WaitingHook("prod", "api"); hook == "" || arn != sr.ServiceDeploymentARN {
					t.Fatalf("waiting hook %q of %q, want one of %s", hook, arn, sr.ServiceDeploymentARN)
				}

				o.WaitUntil, o.ContinueRollback = tt.continueUntil, tt.rollback
				res, err = h.run(context.Background(), deploy.Continue, o)
				if err != nil {
					t.Fatalf("continue: %v", err)
				}
				sr = res.Services[0]
				if got := sr.Status + " " + sr.LifecycleStage; !strings.HasPrefix(got, tt.wantContinueTo) || sr.ServiceDeploymentARN == "" {
					t.Errorf("continue ended %q, want %q", got, tt.wantContinueTo)
				}
				if sr.RolledBack != tt.rollback {
					t.Errorf("rolled back = %v, want %v", sr.RolledBack, tt.rollback)
				}
				if got := currentTaskDef(t, h); !strings.HasSuffix(got, tt.wantRevision) {
					t.Errorf("service runs %s, want %s", got, tt.wantRevision)
				}
				released := event.Of[event.LifecycleHookReleased](h.rec.Events())
				if want := map[bool]string{false: "CONTINUE", true: "ROLLBACK"}[tt.rollback]; len(released) == 0 || released[len(released)-1].Action != want {
					t.Errorf("hook released %+v, want with %s", released, want)
				}
			})
		})
	}
}

func TestContinueWithoutAHookWaiting(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api"})
		_, err := h.run(context.Background(), deploy.Continue, h.opts(svc))
		if !errors.Is(err, deploy.ErrNothingToContinue) || failure.ExitCode(err) != failure.ExitRollout {
			t.Fatalf("err = %v (exit %d), want ErrNothingToContinue", err, failure.ExitCode(err))
		}
		if !strings.Contains(err.Error(), "is SUCCESSFUL at CLEAN_UP and waits on no lifecycle hook") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestWaitUntilIsValidated(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		o := h.opts(h.service(sim.ServiceSpec{Name: "api"}))
		o.Tag, o.WaitUntil = "v2", "HALFWAY"
		_, err := h.run(context.Background(), deploy.Deploy, o)
		if failure.ExitCode(err) != failure.ExitUsage || !strings.Contains(err.Error(), "POST_TEST_TRAFFIC_SHIFT") {
			t.Fatalf("err = %v (exit %d), want a usage error listing the stages", err, failure.ExitCode(err))
		}
		if n := h.sim.Calls()["RegisterTaskDefinition"]; n != 0 {
			t.Errorf("registered %d revisions", n)
		}
	})
}
