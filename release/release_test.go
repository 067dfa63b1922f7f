package release_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
	"github.com/omdeploy/omdeploy/release"
)

var (
	_ release.ECSAPI  = (*sim.Sim)(nil)
	_ release.LogsAPI = (*sim.Sim)(nil)
)

// env is a simulated account with service api in cluster prod, and the
// options that run tasks against it with the events recorded.
type env struct {
	sim     *sim.Sim
	svc     config.Service
	taskDef string
	rec     *event.Recorder
	opts    release.Options
}

func newEnv() *env {
	s := sim.New(clock.Real{})
	td := s.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api"})
	rec := &event.Recorder{}
	return &env{
		sim: s, svc: config.Service{Name: "api", Cluster: "prod", Service: "api"}, taskDef: td, rec: rec,
		opts: release.Options{ECS: s, Logs: func(string) release.LogsAPI { return s }, Region: sim.Region, RunID: "run-1", Reporter: rec},
	}
}

func migrate() config.Task {
	return config.Task{
		Name: "migrate", Command: []string{"bin/migrate", "up"}, Timeout: 10 * time.Minute,
		Environment: []config.EnvVar{{Name: "DB_PASSWORD", Value: "hunter2"}},
	}
}

func logLines(events []event.Event) []string {
	var out []string
	for _, e := range event.Of[event.TaskLog](events) {
		out = append(out, e.Service+"/"+e.Task+"/"+e.Container+": "+e.Line)
	}
	return out
}

func TestRun(t *testing.T) {
	lines := []string{"connecting to db", "applying 0042_add_users", "error: relation \"users\" already exists"}
	tests := []struct {
		name      string
		phase     string
		script    sim.TaskScript
		timeout   time.Duration
		wantErr   error // nil: passes
		wantRB    string
		wantStage failure.Stage
		wantExit  int
		wantMsg   string
		wantLines []string // the TaskLog lines, in order
		wantStops int      // StopTask calls
	}{
		{
			name: "exit 0 streams its lines in order", phase: release.PhaseRelease,
			script:    sim.TaskScript{Duration: 40 * time.Second, Logs: lines[:2]},
			wantLines: []string{"api/migrate/app: connecting to db", "api/migrate/app: applying 0042_add_users"},
		},
		{
			name: "exit 1 fails the release stage with its last lines", phase: release.PhaseRelease,
			script:  sim.TaskScript{ExitCode: 1, Duration: 40 * time.Second, Logs: lines},
			wantErr: release.ErrExitNonZero, wantRB: runbook.ReleaseExitNonZero, wantStage: failure.StageRelease, wantExit: failure.ExitRelease,
			wantMsg:   "container app exited 1",
			wantLines: []string{"api/migrate/app: connecting to db", "api/migrate/app: applying 0042_add_users", "api/migrate/app: error: relation \"users\" already exists"},
		},
		{
			name: "an image that cannot be pulled", phase: release.PhaseRelease,
			script:  sim.TaskScript{StartFailure: "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"},
			wantErr: release.ErrCannotStart, wantRB: runbook.ReleaseCannotStart, wantStage: failure.StageRelease, wantExit: failure.ExitRelease,
			wantMsg: "CannotPullContainerError",
		},
		{
			name: "RunTask failures (no capacity)", phase: release.PhaseRelease,
			script:  sim.TaskScript{RunFailure: "RESOURCE:MEMORY"},
			wantErr: release.ErrCannotStart, wantRB: runbook.ReleaseCannotStart, wantStage: failure.StageRelease, wantExit: failure.ExitRelease,
			wantMsg: "RESOURCE:MEMORY",
		},
		{
			name: "a timeout stops the task", phase: release.PhaseRelease,
			script: sim.TaskScript{Forever: true, Logs: []string{"waiting for lock"}}, timeout: 2 * time.Minute,
			wantErr: release.ErrTimedOut, wantRB: runbook.ReleaseTimeout, wantStage: failure.StageRelease, wantExit: failure.ExitRelease,
			wantMsg: "did not stop within 2m0s; omdeploy stopped it", wantLines: []string{"api/migrate/app: waiting for lock"}, wantStops: 1,
		},
		{
			name: "a post_deploy task fails like a health check", phase: release.PhasePostDeploy,
			script:  sim.TaskScript{ExitCode: 2},
			wantErr: release.ErrExitNonZero, wantRB: runbook.ReleaseExitNonZero, wantStage: failure.StageHealth, wantExit: failure.ExitHealth,
			wantMsg: "post_deploy task migrate of api",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv()
				e.sim.ScriptTasks(tt.script)
				task := migrate()
				if tt.timeout > 0 {
					task.Timeout = tt.timeout
				}
				res, err := release.Run(t.Context(), e.opts, tt.phase, e.svc, task, e.taskDef)
				events := e.rec.Events()
				if got := logLines(events); !slices.Equal(got, tt.wantLines) {
					t.Errorf("log lines %q, want %q", got, tt.wantLines)
				}
				if n := e.sim.Calls()["StopTask"]; n != tt.wantStops {
					t.Errorf("StopTask called %d times, want %d", n, tt.wantStops)
				}
				if tt.wantErr == nil {
					if err != nil {
						t.Fatalf("Run: %v", err)
					}
					fin := event.Of[event.TaskFinished](events)
					if len(fin) != 1 || !fin[0].OK || fin[0].ExitCode == nil || *fin[0].ExitCode != 0 || res.TaskARN == "" {
						t.Fatalf("finished %+v, result %+v; want one OK with exit 0", fin, res)
					}
					return
				}
				var fe *failure.Error
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want %v in a *failure.Error", err, tt.wantErr)
				}
				if fe.RunbookID != tt.wantRB || fe.Stage != tt.wantStage || fe.Service != "api" || fe.Fix == "" || strings.Contains(fe.Fix, "{") {
					t.Errorf("failure %+v, want runbook %s stage %s and a filled fix", fe, tt.wantRB, tt.wantStage)
				}
				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Errorf("exit %d, want %d", got, tt.wantExit)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q, want %q in it", err, tt.wantMsg)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error echoes an environment value: %v", err)
				}
			})
		})
	}
}

// TestRunDiagnosis: a failed migration's diagnosis carries the exit code,
// the stop reason and the last log lines.
func TestRunDiagnosis(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv()
		e.opts.LogLines = 2
		e.sim.ScriptTasks(sim.TaskScript{ExitCode: 1, Logs: []string{"one", "two", "three"}})
		_, err := release.Run(t.Context(), e.opts, release.PhaseRelease, e.svc, migrate(), e.taskDef)
		if err == nil {
			t.Fatal("Run passed; want a failure")
		}
		d := event.Of[event.Diagnosis](e.rec.Events())
		if len(d) != 1 || len(d[0].Tasks) != 1 || len(d[0].Tasks[0].Containers) != 1 {
			t.Fatalf("diagnoses %+v, want one task with one container", d)
		}
		st, c := d[0].Tasks[0], d[0].Tasks[0].Containers[0]
		if st.StoppedReason != "Essential container in task exited" || c.ExitCode == nil || *c.ExitCode != 1 ||
			!slices.Equal(c.LogLines, []string{"two", "three"}) || c.LogGroup != "/ecs/api" {
			t.Fatalf("diagnosis task %+v container %+v", st, c)
		}
	})
}

// TestRunInput: RunTask names the run, carries the idempotency token, the
// command and environment on the service's container, and the service's
// launch type and network unless the task sets its own.
func TestRunInput(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*config.Task)
		wantLaunch  ecstypes.LaunchType
		wantCP      string
		wantSubnets []string
	}{
		{"service's placement", func(*config.Task) {}, ecstypes.LaunchTypeFargate, "", []string{"subnet-0sim0000000000001", "subnet-0sim0000000000002"}},
		{"own capacity provider and network", func(t *config.Task) {
			t.CapacityProvider = "FARGATE_SPOT"
			t.Network = &config.Network{Subnets: []string{"subnet-db"}}
		}, "", "FARGATE_SPOT", []string{"subnet-db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv()
				task := migrate()
				tt.edit(&task)
				if _, err := release.Run(t.Context(), e.opts, release.PhaseRelease, e.svc, task, e.taskDef); err != nil {
					t.Fatal(err)
				}
				ins := e.sim.RunTaskInputs()
				if len(ins) != 1 {
					t.Fatalf("%d RunTask calls, want 1", len(ins))
				}
				in := ins[0]
				if aws.ToString(in.StartedBy) != "omdeploy/api/migrate" ||
					aws.ToString(in.ClientToken) != release.ClientToken("run-1", release.PhaseRelease, "api", "migrate") {
					t.Errorf("startedBy %q token %q", aws.ToString(in.StartedBy), aws.ToString(in.ClientToken))
				}
				o := in.Overrides.ContainerOverrides[0]
				if aws.ToString(o.Name) != "app" || !slices.Equal(o.Command, []string{"bin/migrate", "up"}) ||
					len(o.Environment) != 1 || aws.ToString(o.Environment[0].Name) != "DB_PASSWORD" {
					t.Errorf("override %+v", o)
				}
				cp := ""
				if len(in.CapacityProviderStrategy) > 0 {
					cp = aws.ToString(in.CapacityProviderStrategy[0].CapacityProvider)
				}
				if in.LaunchType != tt.wantLaunch || cp != tt.wantCP || !slices.Equal(in.NetworkConfiguration.AwsvpcConfiguration.Subnets, tt.wantSubnets) {
					t.Errorf("launch type %q capacity provider %q subnets %v", in.LaunchType, cp, in.NetworkConfiguration.AwsvpcConfiguration.Subnets)
				}
			})
		})
	}
}

// TestRunInterrupted: Ctrl-C while the migration runs stops the task
// with a context of its own and fails as an interrupt (exit 130).
func TestRunInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv()
		e.sim.ScriptTasks(sim.TaskScript{Forever: true})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(30*time.Second, cancel)
		_, err := release.Run(ctx, e.opts, release.PhaseRelease, e.svc, migrate(), e.taskDef)
		if !errors.Is(err, context.Canceled) || failure.ExitCode(err) != failure.ExitInterrupted {
			t.Fatalf("err = %v (exit %d), want an interrupt (130)", err, failure.ExitCode(err))
		}
		if !strings.Contains(err.Error(), "was stopped (StopTask); the service was not updated") {
			t.Errorf("err = %q, want it to say the task was stopped", err)
		}
		if n := e.sim.Calls()["StopTask"]; n != 1 {
			t.Fatalf("StopTask called %d times, want 1", n)
		}
		arn := e.rec.Events()
		started := event.Of[event.TaskStarted](arn)
		if len(started) != 1 {
			t.Fatalf("%d tasks started, want 1", len(started))
		}
	})
}

func TestStartedByAndClientToken(t *testing.T) {
	tests := []struct {
		name, service, task string
		want                string // "" : only the length is checked
	}{
		{"short", "api", "migrate", "omdeploy/api/migrate"},
		{"long names are shortened", "payments-reconciliation-worker", "migrate-and-backfill", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := release.StartedBy(tt.service, tt.task)
			if len(got) > 36 || (tt.want != "" && got != tt.want) || !strings.HasPrefix(got, "omdeploy/") {
				t.Fatalf("StartedBy = %q (%d chars), want %q within 36", got, len(got), tt.want)
			}
		})
	}
	a := release.ClientToken("run-1", release.PhaseRelease, "api", "migrate")
	if a != release.ClientToken("run-1", release.PhaseRelease, "api", "migrate") || len(a) > 64 {
		t.Fatalf("token %q is not stable or longer than 64", a)
	}
	for _, other := range []string{
		release.ClientToken("run-2", release.PhaseRelease, "api", "migrate"),
		release.ClientToken("run-1", release.PhasePostDeploy, "api", "migrate"),
		release.ClientToken("run-1", release.PhaseRelease, "web", "migrate"),
	} {
		if other == a {
			t.Fatalf("another run, phase or service has the same token %q", a)
		}
	}
}

// TestRunPastTheRunsDeadline: when the run's own --timeout passes while
// the task runs, the task is stopped and the run fails as a timeout, not
// judged as if it had stopped.
func TestRunPastTheRunsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv()
		e.sim.ScriptTasks(sim.TaskScript{Forever: true})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		_, err := release.Run(ctx, e.opts, release.PhaseRelease, e.svc, migrate(), e.taskDef)
		if !errors.Is(err, release.ErrTimedOut) || failure.RunbookIDOf(err) != runbook.ReleaseTimeout {
			t.Fatalf("err = %v, want a release timeout", err)
		}
		if !strings.Contains(err.Error(), "before the run's --timeout") {
			t.Errorf("err = %q, want it to name the run's timeout", err)
		}
		if n := e.sim.Calls()["StopTask"]; n != 1 {
			t.Fatalf("StopTask called %d times, want 1", n)
		}
	})
}
