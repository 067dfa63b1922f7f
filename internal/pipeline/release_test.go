package pipeline_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestReleaseTasks runs api's deploy with release or post_deploy tasks
// through the whole pipeline on the demo's simulated account: the deploy
// goes on only when the migration exits 0, and otherwise UpdateService is
// never called.
func TestReleaseTasks(t *testing.T) {
	t.Parallel()
	lines := []string{"migrating 41 -> 43", "applied 0042", "error: duplicate key in users_email_key"}
	migrate := []config.Task{{Name: "migrate", Command: []string{"bin/migrate", "up"}, Timeout: 10 * time.Minute}}
	tests := []struct {
		name         string
		scenario     string
		release      []config.Task
		postDeploy   []config.Task
		script       *sim.TaskScript
		cancelOnLog  bool
		wantExit     int
		wantRB       string
		wantUpdates  int // UpdateService calls
		wantStops    int // StopTask calls
		wantLines    []string
		wantRollback bool
	}{
		{
			name: "a migration that exits 0: the deploy proceeds", scenario: "healthy", release: migrate,
			script: &sim.TaskScript{Duration: 30 * time.Second, Logs: lines[:2]}, wantExit: failure.ExitOK, wantUpdates: 1, wantLines: lines[:2],
		},
		{
			name: "a migration that exits 1: the service is not updated", scenario: "healthy", release: migrate,
			script: &sim.TaskScript{ExitCode: 1, Logs: lines}, wantExit: failure.ExitRelease, wantRB: runbook.ReleaseExitNonZero, wantLines: lines,
		},
		{
			name: "a migration that cannot start", scenario: "healthy", release: migrate,
			script:   &sim.TaskScript{StartFailure: "ResourceInitializationError: unable to pull secrets or registry auth"},
			wantExit: failure.ExitRelease, wantRB: runbook.ReleaseCannotStart,
		},
		{
			name: "a migration that runs out of time is stopped", scenario: "healthy",
			release: []config.Task{{Name: "migrate", Timeout: time.Minute}},
			script:  &sim.TaskScript{Forever: true, Logs: lines[:1]}, wantExit: failure.ExitRelease, wantRB: runbook.ReleaseTimeout, wantStops: 1, wantLines: lines[:1],
		},
		{
			name: "Ctrl-C stops the migration", scenario: "healthy", release: migrate,
			script: &sim.TaskScript{Forever: true, Logs: lines[:1]}, cancelOnLog: true, wantExit: failure.ExitInterrupted, wantRB: runbook.Interrupted, wantStops: 1, wantLines: lines[:1],
		},
		{
			name: "a failed post_deploy task rolls back", scenario: "healthy", postDeploy: []config.Task{{Name: "smoke", Timeout: time.Minute}},
			script: &sim.TaskScript{ExitCode: 1}, wantExit: failure.ExitHealth, wantRB: runbook.ReleaseExitNonZero, wantUpdates: 2, wantRollback: true,
		},
		{
			name: "the failed-migration demo", scenario: "failed-migration", wantExit: failure.ExitRelease, wantRB: runbook.ReleaseExitNonZero,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, opts, rec := prepared(t, tt.scenario)
			opts.Preflight.Skip = true
			for i, s := range opts.Services {
				if s.Name != "api" {
					continue
				}
				if tt.release != nil {
					opts.Services[i].Release = tt.release
				}
				if tt.postDeploy != nil {
					opts.Services[i].PostDeploy = tt.postDeploy
				}
				opts.Services = opts.Services[i : i+1]
				break
			}
			if tt.script != nil {
				env.Account.ScriptTasks(*tt.script)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancelOnLog {
				opts.Reporter = event.Tee{opts.Reporter, event.Func(func(e event.Event) {
					if _, ok := e.(event.TaskLog); ok {
						cancel()
					}
				})}
			}
			before := taskDefOf(t, env.Account, "api")
			_, err := pipeline.Deploy(ctx, opts)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Fatalf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			if got := failure.RunbookIDOf(err); got != tt.wantRB {
				t.Errorf("runbook %q, want %q", got, tt.wantRB)
			}
			calls := env.Account.Calls()
			if calls["UpdateService"] != tt.wantUpdates || calls["StopTask"] != tt.wantStops || calls["RunTask"] != 1 {
				t.Errorf("UpdateService %d, StopTask %d, RunTask %d calls; want %d, %d, 1", calls["UpdateService"], calls["StopTask"], calls["RunTask"], tt.wantUpdates, tt.wantStops)
			}
			if tt.wantUpdates == 0 && taskDefOf(t, env.Account, "api") != before {
				t.Errorf("the service moved off %s", before)
			}
			var got []string
			rec.mu.Lock()
			events := slices.Clone(rec.events)
			rec.mu.Unlock()
			for _, l := range event.Of[event.TaskLog](events) {
				if l.Service != "api" || l.Task == "" {
					t.Errorf("log line without its service and task: %+v", l)
				}
				got = append(got, l.Line)
			}
			if tt.wantLines != nil && !slices.Equal(got, tt.wantLines) {
				t.Errorf("log lines %q, want %q in order", got, tt.wantLines)
			}
			if rolled := len(event.Of[event.RollbackStarted](events)) > 0; rolled != tt.wantRollback {
				t.Errorf("rolled back = %v, want %v", rolled, tt.wantRollback)
			}
			if tt.wantExit == failure.ExitRelease && tt.wantRB != runbook.ReleaseCannotStart {
				d := event.Of[event.Diagnosis](events)
				if len(d) != 1 || len(d[0].Tasks) != 1 || len(d[0].Tasks[0].Containers) == 0 || len(d[0].Tasks[0].Containers[0].LogLines) == 0 {
					t.Errorf("diagnosis %+v, want the task with its last log lines", d)
				}
			}
		})
	}
}

func taskDefOf(t *testing.T, s *sim.Sim, service string) string {
	t.Helper()
	out, err := s.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(sim.DemoCluster), Services: []string{service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe %s: %v", service, err)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}
