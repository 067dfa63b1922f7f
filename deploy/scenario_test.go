package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// crashLogs is what the crashing app writes before it exits.
var crashLogs = []string{"starting api v2", "connecting to db at db.internal:5432", "Error: connect ECONNREFUSED 10.0.3.7:5432"}

// TestDeployScenarios runs the pipeline against each scripted rollout and
// checks the exit code, the stage, the diagnosis and the rollback.
func TestDeployScenarios(t *testing.T) {
	tests := []struct {
		name  string
		spec  sim.ServiceSpec
		setup func(h *harness, s *config.Service)
		opts  func(o *deploy.Options)

		wantExit       int
		wantStage      failure.Stage // of the failure; "" on success
		wantRunbook    string
		wantErrIs      error
		wantInError    []string
		wantInDiag     []string
		wantRolledBack bool
		wantUpdates    int    // UpdateService calls
		wantFinalRev   string // the service's task definition at the end
		wantHealth     int    // health checks run
	}{
		{
			name:         "healthy rollout",
			spec:         sim.ServiceSpec{Name: "api", Desired: 3},
			wantExit:     0,
			wantUpdates:  1,
			wantFinalRev: "api:2",
			wantHealth:   1,
		},
		{
			name: "circuit breaker FAILED then ECS rollback is followed, not repeated",
			spec: sim.ServiceSpec{Name: "api", Desired: 2, CircuitBreaker: true, BreakerRollback: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.CrashLoop(1, crashLogs...))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutCrashLoop, wantErrIs: deploy.ErrRolloutFailed,
			wantInError:    []string{"circuit breaker", "rolling back to arn:aws:ecs:us-east-1:123456789012:task-definition/api:1", "(app exit 1)"},
			wantInDiag:     []string{"Essential container in task exited", "Error: connect ECONNREFUSED 10.0.3.7:5432"},
			wantRolledBack: true, wantUpdates: 1, wantFinalRev: "api:1",
		},
		{
			name: "crash loop: breaker without rollback, omdeploy rolls back",
			spec: sim.ServiceSpec{Name: "api", Desired: 2, CircuitBreaker: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.CrashLoop(137, crashLogs...))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutCrashLoop, wantErrIs: deploy.ErrRolloutFailed,
			wantInError:    []string{"is FAILED", "Essential container in task exited (app exit 137)"},
			wantInDiag:     []string{"3 task(s) of deployment", "starting api v2"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name: "crash loop without breaker times out, then rolls back",
			spec: sim.ServiceSpec{Name: "api", Desired: 2},
			setup: func(h *harness, s *config.Service) {
				s.WaitTimeout = 30 * time.Second
				h.sim.Script("prod", "api", sim.CrashLoop(1, crashLogs...))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutCrashLoop, wantErrIs: deploy.ErrTimedOut,
			wantInError:    []string{"did not finish within 30s", "IN_PROGRESS"},
			wantInDiag:     []string{"ECONNREFUSED"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name: "image cannot be pulled",
			spec: sim.ServiceSpec{Name: "api", CircuitBreaker: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.PullError())
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutImagePull,
			wantInError:    []string{"CannotPullContainerError", "demo/api:v2"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name: "secrets cannot be read",
			spec: sim.ServiceSpec{Name: "api", CircuitBreaker: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.SecretsError("/prod/api/DB_PASSWORD"))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutResourceInit,
			wantInError:    []string{"ResourceInitializationError", "/prod/api/DB_PASSWORD"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name: "no capacity: unable to place tasks until the timeout",
			spec: sim.ServiceSpec{Name: "api"},
			setup: func(h *harness, s *config.Service) {
				s.WaitTimeout = 20 * time.Second
				h.sim.Script("prod", "api", sim.NoCapacity())
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutCapacity, wantErrIs: deploy.ErrTimedOut,
			wantInError:    []string{"did not finish within 20s", "unable to place a task"},
			wantInDiag:     []string{"no task of deployment", "unable to place a task"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name: "throttling burst while polling is waited out",
			spec: sim.ServiceSpec{Name: "api"},
			setup: func(h *harness, s *config.Service) {
				h.on(func(e event.Event) {
					if _, ok := e.(event.DeploymentStarted); ok {
						h.sim.Throttle("DescribeServices", 4)
					}
				})
			},
			wantExit: 0, wantUpdates: 1, wantFinalRev: "api:2", wantHealth: 1,
		},
		{
			name: "deployment replaced by a concurrent one is not rolled back",
			spec: sim.ServiceSpec{Name: "api"},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.ReplacedAfter(3*time.Second))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutReplaced, wantErrIs: deploy.ErrReplaced,
			wantInError: []string{"is no longer PRIMARY", "replaced it"},
			wantUpdates: 1, wantFinalRev: "api:2",
		},
		{
			name: "rollout slower than the timeout",
			spec: sim.ServiceSpec{Name: "api", Desired: 3},
			setup: func(h *harness, s *config.Service) {
				s.WaitTimeout = 45 * time.Second
				h.sim.Script("prod", "api", sim.Slow(time.Minute))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutTimeout, wantErrIs: deploy.ErrTimedOut,
			wantInError:    []string{"did not finish within 45s (IN_PROGRESS, 0/3 running, 3 pending, 0 failed)"},
			wantInDiag:     []string{"no stopped tasks or placement failures"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name: "rollback fails too",
			spec: sim.ServiceSpec{Name: "api", CircuitBreaker: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.CrashLoop(1, crashLogs...), sim.CrashLoop(2, "old version cannot start either"))
			},
			wantExit: failure.ExitRollback, wantStage: failure.StageRollback, wantRunbook: runbook.RolloutCrashLoop, wantErrIs: deploy.ErrRollbackFailed,
			wantInError: []string{"is FAILED", "rollback failed: rollback deployment", "(app exit 2)"},
			wantUpdates: 2, wantFinalRev: "api:1",
		},
		{
			name:     "health fails after the rollout, rolled back",
			spec:     sim.ServiceSpec{Name: "api"},
			setup:    func(h *harness, s *config.Service) { h.health.fail("api") },
			wantExit: failure.ExitHealth, wantStage: failure.StageHealth, wantRunbook: "health.phantom-route",
			wantInError:    []string{"404 Not Found"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1", wantHealth: 1,
		},
		{
			name: "no rollback when turned off",
			spec: sim.ServiceSpec{Name: "api", CircuitBreaker: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.CrashLoop(1, crashLogs...))
			},
			opts:     func(o *deploy.Options) { o.NoRollback = true },
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutCrashLoop,
			wantUpdates: 1, wantFinalRev: "api:2",
		},
		{
			name: "crash without log lines reports log silence",
			spec: sim.ServiceSpec{Name: "api", CircuitBreaker: true},
			setup: func(h *harness, s *config.Service) {
				h.sim.Script("prod", "api", sim.CrashLoop(1))
			},
			wantExit: failure.ExitRollout, wantStage: failure.StageRollout, wantRunbook: runbook.RolloutCrashLoop,
			wantInDiag:     []string{"no log lines from app", runbook.RolloutLogSilence, "no log lines in /ecs/api stream ecs/app/"},
			wantRolledBack: true, wantUpdates: 2, wantFinalRev: "api:1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				tt.spec.Cluster = "prod"
				svc := h.service(tt.spec)
				// This table follows deployments[]; servicedeployment_test.go
				// follows service deployments.
				h.sim.WithoutServiceDeployments()
				if tt.setup != nil {
					tt.setup(h, &svc)
				}
				o := h.opts(svc)
				o.Tag = "v2"
				if tt.opts != nil {
					tt.opts(&o)
				}
				res, err := h.run(context.Background(), deploy.Deploy, o)

				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Fatalf("exit code = %d, want %d; err = %v", got, tt.wantExit, err)
				}
				if len(res.Services) != 1 {
					t.Fatalf("results = %+v", res.Services)
				}
				sr := res.Services[0]
				if tt.wantExit == 0 {
					if sr.Stage != failure.StageDone || sr.Error != "" || sr.RolloutState != "COMPLETED" {
						t.Fatalf("result = %+v, want done and COMPLETED", sr)
					}
				} else {
					if st := worstStage(err); st != tt.wantStage {
						t.Fatalf("stage = %q, want %q; err = %v", st, tt.wantStage, err)
					}
					if got := failure.RunbookIDOf(err); got != tt.wantRunbook {
						t.Fatalf("runbook = %q, want %q; err = %v", got, tt.wantRunbook, err)
					}
					if sr.Error == "" {
						t.Fatal("result has no error")
					}
				}
				if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
					t.Fatalf("err = %v, want it to wrap %v", err, tt.wantErrIs)
				}
				if tt.wantErrIs == deploy.ErrTimedOut {
					if got := timedOutAfter(t, h.rec.Events()); got != svc.WaitTimeout {
						t.Errorf("timed out %s of simulated time after the deployment started, want the wait timeout %s", got, svc.WaitTimeout)
					}
				}
				for _, s := range tt.wantInError {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error does not contain %q:\n%v", s, err)
					}
				}
				diag := diagnosisText(h.rec.Events())
				for _, s := range tt.wantInDiag {
					if !strings.Contains(diag, s) {
						t.Errorf("diagnosis does not contain %q:\n%s", s, diag)
					}
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
				if got := h.health.count(); got != tt.wantHealth {
					t.Errorf("health checks = %d, want %d", got, tt.wantHealth)
				}
				if got := h.sim.Calls()["DeregisterTaskDefinition"]; got != 0 {
					t.Errorf("deregistered %d task definitions", got)
				}
				if tt.wantRolledBack && sr.RollbackDeploymentID == "" {
					t.Error("rolled back without naming the rollback deployment")
				}
			})
		})
	}
}

// diagnosisText joins everything the diagnoses said, for assertions.
func diagnosisText(events []event.Event) string {
	var b strings.Builder
	for _, d := range event.Of[event.Diagnosis](events) {
		b.WriteString(d.Summary + "\n")
		for _, t := range d.Tasks {
			b.WriteString(t.StoppedReason + " " + t.StopCode + " " + t.RunbookID + "\n")
			for _, c := range t.Containers {
				b.WriteString(c.Name + " " + c.Reason + " " + c.LogError + "\n" + strings.Join(c.LogLines, "\n") + "\n")
			}
		}
	}
	return b.String()
}

// timedOutAfter is the simulated time from the start of the deployment to
// the rollout's failure.
func timedOutAfter(t *testing.T, events []event.Event) time.Duration {
	t.Helper()
	started, failures := event.Of[event.DeploymentStarted](events), event.Of[event.Failure](events)
	if len(started) == 0 || len(failures) == 0 || failures[0].Stage != failure.StageRollout {
		t.Fatalf("deployments %+v, failures %+v: want a deployment and a rollout failure", started, failures)
	}
	return failures[0].At.Sub(started[0].At)
}

func currentTaskDef(t *testing.T, h *harness) string {
	t.Helper()
	out, err := h.sim.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe: %v %+v", err, out)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}

// worstStage is the stage that decides the exit code.
func worstStage(err error) failure.Stage {
	var worst failure.Stage
	for _, fe := range failure.All(err) {
		if worst == "" || failure.ExitCode(fe) > failure.ExitCode(failure.New(worst, "", "", errors.New("x"))) {
			worst = fe.Stage
		}
	}
	return worst
}
