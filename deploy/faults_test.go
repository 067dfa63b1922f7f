package deploy_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// stuckECS is the simulator whose DescribeServices stops answering once
// UpdateService was called: it waits for the call's context, or, when
// ignoreCtx, for release (a call stuck below the SDK's deadlines).
type stuckECS struct {
	*sim.Sim
	ignoreCtx bool
	release   chan struct{}
	updated   atomic.Bool
	bounded   atomic.Bool // every stuck call had a deadline
}

func (s *stuckECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, o ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	s.updated.Store(true)
	return s.Sim.UpdateService(ctx, in, o...)
}

func (s *stuckECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, o ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if !s.updated.Load() {
		return s.Sim.DescribeServices(ctx, in, o...)
	}
	return nil, s.stick(ctx)
}

func (s *stuckECS) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, o ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	if !s.updated.Load() {
		return s.Sim.DescribeServiceDeployments(ctx, in, o...)
	}
	return nil, s.stick(ctx)
}

func (s *stuckECS) stick(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		s.bounded.Store(false)
	}
	if s.ignoreCtx {
		<-s.release
		return errors.New("released")
	}
	<-ctx.Done()
	return ctx.Err()
}

// followPaths are the two ways the engine follows a deployment, each with
// the calls its polls may make: the fault tests hold for both. A service
// deployment's follower falls back to deployments[] when its own calls are
// denied or keep failing, which is right when DescribeServices can still
// be read, so its faults hit both calls, as an expired session would.
var followPaths = []struct {
	name  string
	polls []string
	set   func(*sim.Sim)
}{
	{"deployments[]", []string{"DescribeServices"}, func(s *sim.Sim) { s.WithoutServiceDeployments() }},
	{"service deployment", []string{"DescribeServiceDeployments", "DescribeServices"}, func(*sim.Sim) {}},
}

// TestWaitDeadlineHoldsWhilePollsHang (issue 11, fault 1): polls that never
// answer after the update neither hang the run nor pass for a timeout: the
// watcher gives up at its deadline plus the read grace, exit 6, and nothing
// is rolled back.
func TestWaitDeadlineHoldsWhilePollsHang(t *testing.T) {
	for _, path := range followPaths {
		for _, ignoreCtx := range []bool{false, true} {
			name := path.name + "/poll honours its context"
			if ignoreCtx {
				name = path.name + "/poller stuck in a call"
			}
			t.Run(name, func(t *testing.T) {
				simTest(t, func(t *testing.T, h *harness) {
					path.set(h.sim)
					svc := h.service(sim.ServiceSpec{Name: "api", Desired: 3})
					svc.WaitTimeout = 2 * time.Minute
					api := &stuckECS{Sim: h.sim, ignoreCtx: ignoreCtx, release: make(chan struct{})}
					api.bounded.Store(true)
					defer close(api.release)
					o := h.opts(svc)
					o.ECS, o.Tag = api, "v2"
					began := time.Now()
					res, err := h.run(context.Background(), deploy.Deploy, o)
					took := time.Since(began)
					if failure.ExitCode(err) != failure.ExitRollback || !errors.Is(err, failure.ErrUnknown) {
						t.Fatalf("err = %v (exit %d), want unknown, exit 6", err, failure.ExitCode(err))
					}
					if want := 2*time.Minute + time.Minute; took < 2*time.Minute || took > want+time.Second {
						t.Fatalf("the run took %s of simulated time, want the 2m deadline plus the 1m grace", took)
					}
					if rb := failure.RunbookIDOf(err); rb != runbook.RolloutStateUnknown {
						t.Fatalf("runbook = %s, want %s", rb, runbook.RolloutStateUnknown)
					}
					if n := h.sim.Calls()["UpdateService"]; n != 1 || res.Services[0].RolledBack {
						t.Fatalf("UpdateService calls = %d, result %+v: want no rollback", n, res.Services[0])
					}
					if !ignoreCtx && !api.bounded.Load() {
						t.Fatal("a poll was made without a deadline")
					}
					if got := currentTaskDef(t, h); !strings.HasSuffix(got, "/api:2") {
						t.Fatalf("service runs %s, want api:2 left alone", got)
					}
				})
			})
		}
	}
}

// TestThrottledPollsAreNotATimeout (issue 11, fault 4): a rollout that
// completes at about 3 s under a throttling storm of DescribeServices. A
// storm that ends within the read grace lets omdeploy see COMPLETED; one
// that outlasts it ends unknown. Neither rolls back.
func TestThrottledPollsAreNotATimeout(t *testing.T) {
	tests := []struct {
		name     string
		storm    time.Duration
		wantExit int
	}{
		{"storm ends within the grace", 40 * time.Second, 0},
		{"storm outlasts the grace", 10 * time.Minute, failure.ExitRollback},
	}
	for _, path := range followPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				simTest(t, func(t *testing.T, h *harness) {
					path.set(h.sim)
					svc := h.service(sim.ServiceSpec{Name: "api", Desired: 1})
					svc.WaitTimeout = 30 * time.Second // grace: 15s
					h.on(func(e event.Event) {
						if d, ok := e.(event.DeploymentStarted); ok && !d.Rollback {
							for _, call := range path.polls {
								h.sim.ThrottleFor(call, tt.storm)
							}
						}
					})
					o := h.opts(svc)
					o.Tag = "v2"
					res, err := h.run(context.Background(), deploy.Deploy, o)
					if got := failure.ExitCode(err); got != tt.wantExit {
						t.Fatalf("exit %d, err %v; want %d", got, err, tt.wantExit)
					}
					if n := h.sim.Calls()["UpdateService"]; n != 1 || res.Services[0].RolledBack {
						t.Fatalf("UpdateService calls = %d: want no rollback", n)
					}
					if tt.wantExit != 0 && (!strings.Contains(err.Error(), "ThrottlingException") || errors.Is(err, deploy.ErrTimedOut)) {
						t.Fatalf("err = %v, want an unknown state naming the throttling, not a timeout", err)
					}
					time.Sleep(tt.storm) // simulated: let the storm pass to read the service
					if got := currentTaskDef(t, h); !strings.HasSuffix(got, "/api:2") {
						t.Fatalf("service runs %s, want api:2", got)
					}
				})
			})
		}
	}
}

// TestCredentialsLostMidWait (issue 11, fault 3): an expired token or a
// denial on the polls leaves the outcome unknown: exit 6 with the
// credential runbook entry and its fix, and no rollback.
func TestCredentialsLostMidWait(t *testing.T) {
	tests := []struct {
		code, wantRunbook, wantFix string
	}{
		{"ExpiredTokenException", runbook.AWSExpiredToken, "aws sso login --profile default"},
		{"AccessDeniedException", runbook.AWSAccessDenied, "aws sts get-caller-identity"},
	}
	for _, path := range followPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.code, func(t *testing.T) {
				simTest(t, func(t *testing.T, h *harness) {
					path.set(h.sim)
					svc := h.service(sim.ServiceSpec{Name: "api", Desired: 3})
					h.on(func(e event.Event) {
						if _, ok := e.(event.DeploymentStarted); ok {
							for _, call := range path.polls {
								h.sim.Fail(call, tt.code, "no")
							}
						}
					})
					o := h.opts(svc)
					o.Tag = "v2"
					res, err := h.run(context.Background(), deploy.Deploy, o)
					if failure.ExitCode(err) != failure.ExitRollback || !strings.Contains(err.Error(), "outcome unknown") {
						t.Fatalf("err = %v (exit %d), want unknown, exit 6", err, failure.ExitCode(err))
					}
					fe := failure.All(err)[0]
					if fe.RunbookID != tt.wantRunbook || !strings.Contains(fe.Fix, tt.wantFix) {
						t.Fatalf("failure = %+v, want runbook %s with a fix saying %q", fe, tt.wantRunbook, tt.wantFix)
					}
					if n := h.sim.Calls()["UpdateService"]; n != 1 || res.Services[0].RolledBack {
						t.Fatalf("UpdateService calls = %d: want no rollback", n)
					}
				})
			})
		}
	}
}

// cancellingHealth interrupts the run from inside the health check, as a
// SIGINT during it would.
type cancellingHealth struct{ cancel context.CancelFunc }

func (c cancellingHealth) Check(ctx context.Context, _ string, _ config.Health) ([]healthcheck.Result, error) {
	c.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestInterruptDuringHealthSaysWhatIsLive (issue 11, fault 7).
func TestInterruptDuringHealthSaysWhatIsLive(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api", Desired: 1})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o := h.opts(svc)
		o.Tag, o.Health = "v2", cancellingHealth{cancel}
		_, err := h.run(ctx, deploy.Deploy, o)
		if failure.ExitCode(err) != failure.ExitInterrupted {
			t.Fatalf("err = %v (exit %d), want 130", err, failure.ExitCode(err))
		}
		var f event.Failure
		for _, e := range event.Of[event.Failure](h.rec.Events()) {
			f = e
		}
		if f.RunbookID != runbook.InterruptedHealth || !strings.Contains(f.Message, "task-definition/api:2 is live") ||
			!strings.Contains(f.Message, "did not roll back") || !strings.Contains(f.Fix, "omdeploy rollback --service api") {
			t.Fatalf("failure event = %+v, want the live revision, no rollback, and the fix", f)
		}
		if n := h.sim.Calls()["UpdateService"]; n != 1 {
			t.Fatalf("UpdateService calls = %d, want no rollback", n)
		}
	})
}

// lostUpdateECS applies UpdateService in the simulator, then loses the
// answer (a connection dropped after sending), and from then on cannot
// describe the service.
type lostUpdateECS struct {
	*sim.Sim
	updated atomic.Bool
}

func (l *lostUpdateECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, o ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	_, _ = l.Sim.UpdateService(ctx, in, o...)
	l.updated.Store(true)
	return nil, &smithyhttp.RequestSendError{Err: io.EOF}
}

func (l *lostUpdateECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, o ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if l.updated.Load() {
		return nil, &smithyhttp.RequestSendError{Err: io.ErrUnexpectedEOF}
	}
	return l.Sim.DescribeServices(ctx, in, o...)
}

// TestLostUpdateThatCannotBeReadBackIsUnknown (issue 11, fault 2): an
// UpdateService whose answer was lost, and whose effect cannot be read
// back, is neither "FAILED at update" nor followed: exit 6 with the fix to
// run `omdeploy status`.
func TestLostUpdateThatCannotBeReadBackIsUnknown(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api", Desired: 1})
		o := h.opts(svc)
		o.ECS, o.Tag = &lostUpdateECS{Sim: h.sim}, "v2"
		_, err := h.run(context.Background(), deploy.Deploy, o)
		if failure.ExitCode(err) != failure.ExitRollback || !errors.Is(err, failure.ErrUnknown) {
			t.Fatalf("err = %v (exit %d), want unknown, exit 6", err, failure.ExitCode(err))
		}
		fe := failure.All(err)[0]
		if fe.Stage != failure.StageUpdate || fe.RunbookID != runbook.RolloutUpdateUnknown || !strings.Contains(fe.Fix, "omdeploy status --service api") ||
			!strings.Contains(err.Error(), "may or may not be rolling out") {
			t.Fatalf("failure = %+v (%v), want the update-unknown entry and its fix", fe, err)
		}
		if n := h.sim.Calls()["UpdateService"]; n != 1 {
			t.Fatalf("UpdateService calls = %d, want the one, not re-sent", n)
		}
	})
}
