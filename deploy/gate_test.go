package deploy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// hookRecorder is the simulator with the ContinueServiceDeployment and
// StopServiceDeployment requests it received kept, to assert on what
// omdeploy sent.
type hookRecorder struct {
	*sim.Sim
	mu        sync.Mutex
	continues []ecstypes.DeploymentLifecycleHookAction
	stops     []ecstypes.StopServiceDeploymentStopType
}

func (r *hookRecorder) ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error) {
	r.mu.Lock()
	r.continues = append(r.continues, in.Action)
	r.mu.Unlock()
	return r.Sim.ContinueServiceDeployment(ctx, in, optFns...)
}

func (r *hookRecorder) StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error) {
	r.mu.Lock()
	r.stops = append(r.stops, in.StopType)
	r.mu.Unlock()
	return r.Sim.StopServiceDeployment(ctx, in, optFns...)
}

func (r *hookRecorder) sent() ([]ecstypes.DeploymentLifecycleHookAction, []ecstypes.StopServiceDeploymentStopType) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ecstypes.DeploymentLifecycleHookAction(nil), r.continues...), append([]ecstypes.StopServiceDeploymentStopType(nil), r.stops...)
}

// healthServer is a real HTTP server on 127.0.0.1 answering /healthz with
// status, counting requests. It closes every connection after its answer:
// the checker runs inside a synctest bubble, whose clock stands still while
// one of its goroutines waits on a kept-alive connection.
func healthServer(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Connection", "close")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status)))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestGatedBlueGreen: a blue/green deployment pausing at
// POST_TEST_TRAFFIC_SHIFT, with health.test_base_url set, is verified
// through the test listener (a real HTTP server) before production traffic
// moves: healthy, omdeploy sends CONTINUE and the deployment ends
// SUCCESSFUL with production health verified after the shift (exit 0);
// failing, it sends ROLLBACK, follows ECS's rollback, and exits 5 naming
// the endpoint and what it answered, production never checked.
func TestGatedBlueGreen(t *testing.T) {
	tests := []struct {
		name        string
		testStatus  int
		wantExit    int
		wantAction  ecstypes.DeploymentLifecycleHookAction
		wantStatus  string
		wantRev     string
		wantProd    bool // production endpoints checked after the shift
		wantInError []string
		noRollback  bool
	}{
		{
			name: "healthy through the test listener: CONTINUE, then SUCCESSFUL", testStatus: http.StatusOK,
			wantExit: failure.ExitOK, wantAction: ecstypes.DeploymentLifecycleHookActionContinue,
			wantStatus: "SUCCESSFUL", wantRev: "api:2", wantProd: true,
		},
		{
			name: "failing through the test listener: ROLLBACK, exit 5", testStatus: http.StatusServiceUnavailable,
			wantExit: failure.ExitHealth, wantAction: ecstypes.DeploymentLifecycleHookActionRollback,
			wantStatus: "ROLLBACK_SUCCESSFUL", wantRev: "api:1",
			wantInError: []string{"test traffic health check failed", "/healthz: service still unavailable", "last: 503 Service Unavailable", "released lifecycle hook", "with ROLLBACK", "production traffic never moved to it"},
		},
		{
			name: "failing with rollback disabled: no ROLLBACK sent, left waiting at the hook, exit 5", testStatus: http.StatusNotFound, noRollback: true,
			wantExit: failure.ExitHealth, wantStatus: "IN_PROGRESS", wantRev: "api:2",
			wantInError: []string{"test traffic health check failed", "rollback disabled", "left waiting at lifecycle hook", "omdeploy continue --service api"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prod, prodHits := healthServer(t, http.StatusOK)
			test, testHits := healthServer(t, tt.testStatus)
			// The servers live outside the bubble: only the checker's
			// client runs on its clock.
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
				svc.Health = &config.Health{BaseURL: prod.URL, TestBaseURL: test.URL, Endpoints: []config.Endpoint{{Path: "/healthz"}}, Timeout: 20 * time.Second}
				h.sim.SetStrategy("prod", "api", sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: time.Minute,
					PauseAt: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift}})
				api := &hookRecorder{Sim: h.sim}
				o := h.opts(svc)
				o.ECS, o.Tag, o.NoRollback = api, "v2", tt.noRollback
				o.Health = healthcheck.New(healthcheck.Options{Reporter: h, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Fatalf("exit = %d, want %d; err = %v", got, tt.wantExit, err)
				}
				continues, stops := api.sent()
				if want := []ecstypes.DeploymentLifecycleHookAction{tt.wantAction}; tt.wantAction == "" && len(continues) > 0 ||
					tt.wantAction != "" && !slices.Equal(continues, want) || len(stops) != 0 {
					t.Errorf("sent ContinueServiceDeployment %v and StopServiceDeployment %v; want %q and no stop", continues, stops, tt.wantAction)
				}
				sr := res.Services[0]
				if sr.Status != tt.wantStatus || !strings.HasSuffix(currentTaskDef(t, h), "/"+tt.wantRev) {
					t.Errorf("status %q on %s; want %s on %s", sr.Status, currentTaskDef(t, h), tt.wantStatus, tt.wantRev)
				}
				if len(sr.TestTrafficHealth) != 1 || sr.TestTrafficHealth[0].OK != (tt.wantExit == 0) || !strings.HasPrefix(sr.TestTrafficHealth[0].URL, test.URL) {
					t.Errorf("test_traffic_health = %+v, want the test listener's verdict", sr.TestTrafficHealth)
				}
				if testHits.Load() == 0 || (prodHits.Load() > 0) != tt.wantProd {
					t.Errorf("test listener got %d requests, production %d; want production checked: %v", testHits.Load(), prodHits.Load(), tt.wantProd)
				}
				released := false
				for _, e := range h.rec.Events() {
					if r, ok := e.(event.LifecycleHookReleased); ok && r.Action == string(tt.wantAction) {
						released = true
					}
				}
				if !released && tt.wantAction != "" {
					t.Errorf("no LifecycleHookReleased event with %s", tt.wantAction)
				}
				if tt.wantExit == 0 {
					return
				}
				if !errors.Is(err, deploy.ErrTestTraffic) || sr.RolledBack == tt.noRollback || sr.RunbookID != runbook.HealthTestTraffic {
					t.Errorf("err = %v, rolled back %v, runbook %q; want the test-traffic failure, rolled back", err, sr.RolledBack, sr.RunbookID)
				}
				for _, want := range tt.wantInError {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not contain %q:\n%v", want, err)
					}
				}
			})
		})
	}
}
