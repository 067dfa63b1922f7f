package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestServiceDeploymentScenarios follows the service deployment
// UpdateService started, by ARN, for each strategy and ending, and checks
// the exit code, the JSON fields and the progress seen.
func TestServiceDeploymentScenarios(t *testing.T) {
	bg := sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: 2 * time.Minute}
	tests := []struct {
		name     string
		spec     sim.ServiceSpec
		strategy sim.Strategy
		rollout  *sim.Rollout
		setup    func(h *harness)

		wantExit           int
		wantErrIs          error
		wantRunbook        string
		wantInError        []string
		wantNotInDiagnosis []string // in neither the error nor the diagnosis
		wantStatus         string
		wantAlarms         []string
		wantRolledBack     bool
		wantUpdates        int
		wantFinalRev       string
		wantProgress       []string // substrings of the progress seen, in order
	}{
		{
			name: "rolling succeeds", spec: sim.ServiceSpec{Desired: 2},
			wantStatus: "SUCCESSFUL", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"ROLLING IN_PROGRESS SCALE_UP running=0/2", "running=2/2", "SUCCESSFUL CLEAN_UP"},
		},
		{
			name: "blue/green succeeds after test traffic, production shift and bake", spec: sim.ServiceSpec{Desired: 2}, strategy: bg,
			wantStatus: "SUCCESSFUL", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"PRE_SCALE_UP", "TEST_TRAFFIC_SHIFT", "prod=0% test=100%", "PRODUCTION_TRAFFIC_SHIFT", "prod=100%", "BAKE_TIME", "bake 2m0s left", "bake 59.5s left", "SUCCESSFUL"},
		},
		{
			name: "linear shifts in steps", spec: sim.ServiceSpec{Desired: 2},
			strategy:   sim.Strategy{Kind: ecstypes.DeploymentStrategyLinear, StepPercent: 50, StepBake: time.Minute},
			wantStatus: "SUCCESSFUL", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"LINEAR", "prod=50%", "prod=100%", "SUCCESSFUL"},
		},
		{
			name: "canary then the rest", spec: sim.ServiceSpec{Desired: 2},
			strategy:   sim.Strategy{Kind: ecstypes.DeploymentStrategyCanary, CanaryPct: 10, CanaryBake: 3 * time.Minute},
			wantStatus: "SUCCESSFUL", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"CANARY", "prod=10%", "prod=100%", "SUCCESSFUL"},
		},
		{
			name:       "early success: done when production traffic has moved, before a bake longer than the timeout",
			spec:       sim.ServiceSpec{Desired: 2},
			strategy:   sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: 30 * time.Minute, EarlySuccess: true},
			wantStatus: "SUCCESSFUL", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"IN_PROGRESS PRE_PRODUCTION_TRAFFIC_SHIFT", "SUCCESSFUL PRODUCTION_TRAFFIC_SHIFT"},
		},
		{
			name: "a PAUSE hook waits until released",
			spec: sim.ServiceSpec{Desired: 2},
			strategy: sim.Strategy{Kind: ecstypes.DeploymentStrategyLinear, StepPercent: 50,
				PauseAt: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift}},
			setup: func(h *harness) {
				var once sync.Once
				h.on(func(e event.Event) {
					p, ok := e.(event.ServiceDeploymentProgress)
					if !ok || len(p.Hooks) == 0 || p.Hooks[0].Status != "AWAITING_ACTION" {
						return
					}
					once.Do(func() {
						go func() {
							time.Sleep(5 * time.Minute) // someone looks at the test traffic first
							if _, err := h.sim.ContinueServiceDeployment(context.Background(), &ecs.ContinueServiceDeploymentInput{
								ServiceDeploymentArn: &p.ARN, HookId: &p.Hooks[0].ID, Action: ecstypes.DeploymentLifecycleHookActionContinue,
							}); err != nil {
								h.t.Error(err)
							}
						}()
					})
				})
			},
			wantStatus: "SUCCESSFUL", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"POST_TEST_TRAFFIC_SHIFT", "AWAITING_ACTION", "SUCCEEDED", "prod=50%", "SUCCESSFUL"},
		},
		{
			name: "circuit breaker: ECS rolls back, omdeploy does not", spec: sim.ServiceSpec{Desired: 2, CircuitBreaker: true, BreakerRollback: true},
			rollout:  ptr(sim.CrashLoop(1, crashLogs...)),
			wantExit: failure.ExitRollout, wantErrIs: deploy.ErrRolloutFailed, wantRunbook: runbook.RolloutCrashLoop,
			wantInError: []string{"rolled back by ECS", "circuit breaker", "(app exit 1)"},
			wantStatus:  "ROLLBACK_SUCCESSFUL", wantRolledBack: true, wantUpdates: 1, wantFinalRev: "api:1",
			wantProgress: []string{"breaker 0/3", "breaker 1/3", "breaker 3/3", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"},
		},
		{
			name: "alarm rolls back a canary, naming the alarm", spec: sim.ServiceSpec{Desired: 2},
			strategy: sim.Strategy{Kind: ecstypes.DeploymentStrategyCanary, CanaryBake: 10 * time.Minute, Alarms: []string{"api-5xx", "api-p99"}, AlarmRollback: true},
			rollout:  ptr(sim.Healthy().AlarmAfter("api-5xx", 2*time.Minute)),
			wantExit: failure.ExitRollout, wantErrIs: deploy.ErrRolloutFailed, wantRunbook: runbook.RolloutAlarm,
			wantInError: []string{"rolled back by ECS", "CloudWatch alarm api-5xx"},
			// The tasks ECS's rollback scaled in did not fail: no cause, no log silence.
			wantNotInDiagnosis: []string{"Scaling activity", "log-silence"},
			wantStatus:         "ROLLBACK_SUCCESSFUL", wantAlarms: []string{"api-5xx"}, wantRolledBack: true, wantUpdates: 1, wantFinalRev: "api:1",
			wantProgress: []string{"alarms api-5xx,api-p99", "prod=10%", "FIRED api-5xx", "ROLLBACK_SUCCESSFUL"},
		},
		{
			name: "ECS cannot roll back: exit 6", spec: sim.ServiceSpec{Desired: 2, CircuitBreaker: true, BreakerRollback: true},
			rollout:  ptr(sim.PullError().RollbackFails()),
			wantExit: failure.ExitRollback, wantErrIs: deploy.ErrRollbackFailed, wantRunbook: runbook.RolloutImagePull,
			wantInError: []string{"could not roll back", "rollback failed"},
			wantStatus:  "ROLLBACK_FAILED", wantUpdates: 1, wantFinalRev: "api:1",
			wantProgress: []string{"ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED"},
		},
		{
			name: "replaced by a newer service deployment: not rolled back", spec: sim.ServiceSpec{Desired: 2},
			rollout:  ptr(sim.ReplacedAfter(3 * time.Second)),
			wantExit: failure.ExitRollout, wantErrIs: deploy.ErrReplaced, wantRunbook: runbook.RolloutReplaced,
			wantInError: []string{"was replaced: service deployment arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/"},
			wantStatus:  "STOPPED", wantUpdates: 1, wantFinalRev: "api:2",
			wantProgress: []string{"IN_PROGRESS", "STOPPED"},
		},
		{
			name: "STOPPED with its reason, then omdeploy rolls back", spec: sim.ServiceSpec{Desired: 2},
			rollout:  ptr(sim.Slow(time.Minute).StoppedAfter(30*time.Second, "Service deployment stopped: the target group is gone.")),
			wantExit: failure.ExitRollout, wantErrIs: deploy.ErrRolloutFailed, wantRunbook: runbook.RolloutCircuitBreaker,
			wantInError: []string{"was STOPPED: Service deployment stopped: the target group is gone."},
			wantStatus:  "STOPPED", wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
			wantProgress: []string{"IN_PROGRESS", "STOPPED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				tt.spec.Name = "api"
				svc := h.service(tt.spec)
				h.sim.SetStrategy("prod", "api", tt.strategy)
				if tt.rollout != nil {
					h.sim.Script("prod", "api", *tt.rollout)
				}
				if tt.setup != nil {
					tt.setup(h)
				}
				o := h.opts(svc)
				o.Tag = "v2"
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Fatalf("exit code = %d, want %d; err = %v", got, tt.wantExit, err)
				}
				if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
					t.Errorf("err = %v, want it to wrap %v", err, tt.wantErrIs)
				}
				if tt.wantRunbook != "" && failure.RunbookIDOf(err) != tt.wantRunbook {
					t.Errorf("runbook = %q, want %q", failure.RunbookIDOf(err), tt.wantRunbook)
				}
				for _, s := range tt.wantInError {
					if err == nil || !strings.Contains(err.Error(), s) {
						t.Errorf("error does not contain %q:\n%v", s, err)
					}
				}
				for _, s := range tt.wantNotInDiagnosis {
					for _, d := range event.Of[event.Diagnosis](h.rec.Events()) {
						if strings.Contains(d.Summary, s) {
							t.Errorf("diagnosis says %q: %s", s, d.Summary)
						}
					}
					if err != nil && strings.Contains(err.Error(), s) {
						t.Errorf("error says %q: %v", s, err)
					}
				}
				sr := res.Services[0]
				wantStrategy := string(tt.strategy.Kind)
				if wantStrategy == "" {
					wantStrategy = "ROLLING"
				}
				if !strings.Contains(sr.ServiceDeploymentARN, ":service-deployment/prod/api/") || sr.Strategy != wantStrategy ||
					sr.Status != tt.wantStatus || sr.LifecycleStage == "" {
					t.Errorf("result: arn %q strategy %q status %q stage %q; want strategy %s, status %s",
						sr.ServiceDeploymentARN, sr.Strategy, sr.Status, sr.LifecycleStage, wantStrategy, tt.wantStatus)
				}
				if !slices.Equal(sr.TriggeredAlarms, tt.wantAlarms) {
					t.Errorf("triggered alarms %v, want %v", sr.TriggeredAlarms, tt.wantAlarms)
				}
				if tt.wantRolledBack && tt.wantStatus == "ROLLBACK_SUCCESSFUL" && sr.RollbackReason == "" {
					t.Error("no rollback_reason")
				}
				if tt.wantStatus == "ROLLBACK_SUCCESSFUL" && !strings.HasPrefix(sr.RollbackDeploymentID, "ecs-svc/") {
					t.Errorf("rollback_deployment_id %q, want ECS's rollback deployment", sr.RollbackDeploymentID)
				}
				if sr.RolledBack != tt.wantRolledBack {
					t.Errorf("rolled back = %v, want %v", sr.RolledBack, tt.wantRolledBack)
				}
				if got := h.sim.Calls()["UpdateService"]; got != tt.wantUpdates {
					t.Errorf("UpdateService calls = %d, want %d", got, tt.wantUpdates)
				}
				if got := currentTaskDef(t, h); !strings.HasSuffix(got, "/"+tt.wantFinalRev) {
					t.Errorf("service runs %s, want %s", got, tt.wantFinalRev)
				}
				assertProgress(t, h.rec.Events(), tt.wantProgress)
				if w := event.Of[event.Warning](h.rec.Events()); slices.ContainsFunc(w, func(w event.Warning) bool { return strings.Contains(w.Message, "unavailable") }) {
					t.Errorf("fell back: %+v", w)
				}
			})
		})
	}
}

// assertProgress checks the progress lines contain want, in order.
func assertProgress(t *testing.T, events []event.Event, want []string) {
	t.Helper()
	var lines []string
	for _, p := range event.Of[event.ServiceDeploymentProgress](events) {
		lines = append(lines, progressLine(p))
	}
	i := 0
	for _, l := range lines {
		for i < len(want) && strings.Contains(l, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("progress did not show %q (in order); saw:\n%s", want[i:], strings.Join(lines, "\n"))
	}
	for j := 1; j < len(lines); j++ {
		if lines[j] == lines[j-1] {
			t.Errorf("progress repeated without a change: %s", lines[j])
		}
	}
}

// progressLine is what the test reads of a progress event, in the words of
// the plain view.
func progressLine(p event.ServiceDeploymentProgress) string {
	var b strings.Builder
	b.WriteString(p.Strategy + " " + p.Status + " " + p.LifecycleStage)
	b.WriteString(" running=" + fmt.Sprint(p.Running) + "/" + fmt.Sprint(p.Desired))
	if p.ProductionWeight != nil {
		b.WriteString(" prod=" + fmt.Sprint(*p.ProductionWeight) + "% test=" + fmt.Sprint(*p.TestWeight) + "%")
	}
	if p.BakeTimeLeft > 0 {
		b.WriteString(" bake " + p.BakeTimeLeft.String() + " left")
	}
	if p.BreakerThreshold > 0 {
		b.WriteString(" breaker " + fmt.Sprint(p.BreakerFailures) + "/" + fmt.Sprint(p.BreakerThreshold))
	}
	if len(p.Alarms) > 0 {
		b.WriteString(" alarms " + strings.Join(p.Alarms, ","))
	}
	if len(p.TriggeredAlarms) > 0 {
		b.WriteString(" FIRED " + strings.Join(p.TriggeredAlarms, ","))
	}
	for _, hk := range p.Hooks {
		b.WriteString(" hook " + hk.ID + " " + hk.Status)
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

// TestServiceDeploymentFallback follows deployments[] where the service
// deployment operations are unavailable, with one warning per run.
func TestServiceDeploymentFallback(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness)
		want  string // in the warning
	}{
		{"unknown operation", func(h *harness) { h.sim.WithoutServiceDeployments() }, "UpdateService named no currentServiceDeployment"},
		{"access denied", func(h *harness) {
			h.sim.Fail("DescribeServiceDeployments", "AccessDeniedException", "User is not authorized to perform: ecs:DescribeServiceDeployments")
		}, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				var services []config.Service
				for _, name := range []string{"api", "web", "worker"} {
					services = append(services, h.service(sim.ServiceSpec{Name: name, Desired: 2}))
				}
				tt.setup(h)
				o := h.opts(services...)
				o.Tag = "v2"
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if err != nil {
					t.Fatal(err)
				}
				var warnings []string
				for _, w := range event.Of[event.Warning](h.rec.Events()) {
					warnings = append(warnings, w.Message)
				}
				if len(warnings) != 1 || !strings.Contains(warnings[0], tt.want) || !strings.Contains(warnings[0], "deployments[]") {
					t.Errorf("warnings = %q, want one naming %q", warnings, tt.want)
				}
				if n := len(event.Of[event.StageStarted](h.rec.Events())); n != 3*len(services) {
					t.Errorf("%d stages announced, want register, update and rollout once per service", n)
				}
				for _, sr := range res.Services {
					if sr.RolloutState != "COMPLETED" || sr.Status != "" || sr.ServiceDeploymentARN != "" {
						t.Errorf("%s: rollout %q status %q, want COMPLETED through deployments[]", sr.Name, sr.RolloutState, sr.Status)
					}
				}
				if n := len(event.Of[event.DeploymentProgress](h.rec.Events())); n == 0 {
					t.Error("no legacy progress")
				}
			})
		})
	}
}

// batchSizes records how many ARNs each DescribeServiceDeployments call
// asked about.
type batchSizes struct {
	*sim.Sim
	mu    sync.Mutex
	sizes []int
}

func (b *batchSizes) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(in.ServiceDeploymentArns))
	b.mu.Unlock()
	return b.Sim.DescribeServiceDeployments(ctx, in, opts...)
}

// TestServiceDeploymentPollsCostNoMore deploys 25 services of one cluster
// both ways. By service deployment a poll asks about 20 per call (2 calls
// for 25), by deployments[] about 10 (3 calls), and the whole run costs no
// more calls; DescribeServices is then called only before each update and
// once after each end, for the events.
func TestServiceDeploymentPollsCostNoMore(t *testing.T) {
	const n = 25
	run := func(t *testing.T, h *harness, legacy bool) (map[string]int, []int) {
		var services []config.Service
		for i := range n {
			name := fmt.Sprintf("s%02d", i)
			services = append(services, h.service(sim.ServiceSpec{Name: name, Desired: 3}))
			h.sim.Script("prod", name, sim.Slow(time.Minute))
		}
		if legacy {
			h.sim.WithoutServiceDeployments()
		}
		o := h.opts(services...)
		api := &batchSizes{Sim: h.sim}
		o.ECS, o.Tag, o.Parallel = api, "v2", n
		if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
			t.Fatal(err)
		}
		return h.sim.Calls(), api.sizes
	}
	var legacy, byARN map[string]int
	var sizes []int
	simTest(t, func(t *testing.T, h *harness) { legacy, _ = run(t, h, true) })
	simTest(t, func(t *testing.T, h *harness) { byARN, sizes = run(t, h, false) })
	if slices.Max(sizes) != 20 {
		t.Errorf("largest DescribeServiceDeployments batch %d, want 20 (sizes %v)", slices.Max(sizes), sizes)
	}
	if got, was := byARN["DescribeServiceDeployments"], legacy["DescribeServices"]-n; got == 0 || got > was {
		t.Errorf("DescribeServiceDeployments calls = %d, more than the %d DescribeServices polls of deployments[]", got, was)
	}
	if got := byARN["DescribeServices"]; got != 2*n {
		t.Errorf("DescribeServices calls = %d, want %d (none per poll)", got, 2*n)
	}
}

// TestServiceDeploymentEdges covers the run's own limits on the service
// deployment path: an interrupt (exit 130, nothing undone) and a timeout
// while ECS is rolling back (exit 4, no second rollback).
func TestServiceDeploymentEdges(t *testing.T) {
	t.Run("interrupted while following", func(t *testing.T) {
		simTest(t, func(t *testing.T, h *harness) {
			svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h.on(func(e event.Event) {
				if _, ok := e.(event.ServiceDeploymentProgress); ok {
					cancel()
				}
			})
			o := h.opts(svc)
			o.Tag = "v2"
			res, err := h.run(ctx, deploy.Deploy, o)
			if failure.ExitCode(err) != failure.ExitInterrupted || !errors.Is(err, context.Canceled) ||
				!strings.Contains(err.Error(), "interrupted while following service deployment arn:aws:ecs:") {
				t.Fatalf("err = %v (exit %d), want an interrupt naming the service deployment", err, failure.ExitCode(err))
			}
			if res.Services[0].ServiceDeploymentARN == "" || h.sim.Calls()["UpdateService"] != 1 {
				t.Errorf("result %+v, UpdateService calls %d", res.Services[0], h.sim.Calls()["UpdateService"])
			}
		})
	})
	t.Run("timed out while ECS rolls back", func(t *testing.T) {
		simTest(t, func(t *testing.T, h *harness) {
			svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2, CircuitBreaker: true, BreakerRollback: true})
			svc.WaitTimeout = 15 * time.Second
			h.sim.Script("prod", "api", sim.PullError().RollbackFails())
			o := h.opts(svc)
			o.Tag = "v2"
			res, err := h.run(context.Background(), deploy.Deploy, o)
			if failure.ExitCode(err) != failure.ExitRollout || !errors.Is(err, deploy.ErrTimedOut) ||
				!strings.Contains(err.Error(), "ROLLBACK_IN_PROGRESS") {
				t.Fatalf("err = %v (exit %d), want a timeout during ECS's rollback", err, failure.ExitCode(err))
			}
			if n := h.sim.Calls()["UpdateService"]; n != 1 {
				t.Errorf("UpdateService calls = %d: omdeploy rolled back over ECS's rollback", n)
			}
			w := event.Of[event.Warning](h.rec.Events())
			if len(w) != 1 || !strings.Contains(w[0].Message, "ECS is rolling back") {
				t.Errorf("warnings %+v", w)
			}
			if res.Services[0].Status != "ROLLBACK_IN_PROGRESS" {
				t.Errorf("status %q", res.Services[0].Status)
			}
		})
	})
}
