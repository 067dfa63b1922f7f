package deploy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestBeforeUpdate: the hook runs between register and UpdateService on
// the registered revision, and when it fails the service is untouched.
func TestBeforeUpdate(t *testing.T) {
	migrationFailed := failure.New(failure.StageRelease, "api", "release.exit-nonzero", errors.New("container app exited 1"))
	tests := []struct {
		name       string
		release    []config.Task
		hookErr    error
		wantCalled bool
		wantExit   int
		wantUpdate int // UpdateService calls
		wantStage  failure.Stage
	}{
		{"passes: the deploy goes on", []config.Task{{Name: "migrate"}}, nil, true, failure.ExitOK, 1, failure.StageDone},
		{"fails: the service is not updated", []config.Task{{Name: "migrate"}}, migrationFailed, true, failure.ExitRelease, 0, failure.StageRelease},
		{"a plain error fails the release stage", []config.Task{{Name: "migrate"}}, errors.New("boom"), true, failure.ExitRelease, 0, failure.StageRelease},
		{"no release tasks: not called", nil, nil, false, failure.ExitOK, 1, failure.StageDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api"})
				svc.Release = tt.release
				before := serviceTaskDef(t, h, "api")
				var gotDef string
				called, updatesAtHook := false, -1
				o := h.opts(svc)
				o.Image = "demo/api:v2"
				o.BeforeUpdate = func(_ context.Context, s config.Service, taskDef string) error {
					called, gotDef, updatesAtHook = true, taskDef, h.sim.Calls()["UpdateService"]
					return tt.hookErr
				}
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Fatalf("exit %d (%v), want %d", got, err, tt.wantExit)
				}
				if called != tt.wantCalled {
					t.Fatalf("hook called = %v, want %v", called, tt.wantCalled)
				}
				if n := h.sim.Calls()["UpdateService"]; n != tt.wantUpdate {
					t.Errorf("UpdateService called %d times, want %d", n, tt.wantUpdate)
				}
				if res.Services[0].Stage != tt.wantStage {
					t.Errorf("stage %s, want %s", res.Services[0].Stage, tt.wantStage)
				}
				if called && (updatesAtHook != 0 || gotDef != res.Services[0].TaskDefinition || gotDef == before) {
					t.Errorf("hook saw %d updates and revision %s; want 0 and the new revision %s", updatesAtHook, gotDef, res.Services[0].TaskDefinition)
				}
				if tt.hookErr != nil {
					if after := serviceTaskDef(t, h, "api"); after != before {
						t.Errorf("service moved from %s to %s", before, after)
					}
					if n := len(event.Of[event.Failure](h.rec.Events())); n != 1 {
						t.Errorf("%d failure events, want 1", n)
					}
				}
			})
		})
	}
}

// TestAfterHealth: a failed post_deploy hook is a health failure, rolled
// back unless rollback is off.
func TestAfterHealth(t *testing.T) {
	smokeFailed := failure.New(failure.StageHealth, "api", "release.exit-nonzero", errors.New("container app exited 1"))
	tests := []struct {
		name         string
		hookErr      error
		noRollback   bool
		wantExit     int
		wantRollback bool
	}{
		{"passes", nil, false, failure.ExitOK, false},
		{"fails: rolled back", smokeFailed, false, failure.ExitHealth, true},
		{"fails with --no-rollback", smokeFailed, true, failure.ExitHealth, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api"})
				svc.PostDeploy = []config.Task{{Name: "smoke"}}
				calls := 0
				o := h.opts(svc)
				o.Image, o.NoRollback = "demo/api:v2", tt.noRollback
				o.AfterHealth = func(context.Context, config.Service, string) error {
					calls++
					if h.health.count() != 1 {
						t.Errorf("post_deploy ran before the health check")
					}
					return tt.hookErr
				}
				_, err := h.run(context.Background(), deploy.Deploy, o)
				if got := failure.ExitCode(err); got != tt.wantExit || calls != 1 {
					t.Fatalf("exit %d (%v), hook calls %d; want %d and 1", got, err, calls, tt.wantExit)
				}
				if got := len(event.Of[event.RollbackStarted](h.rec.Events())) > 0; got != tt.wantRollback {
					t.Fatalf("rolled back = %v, want %v", got, tt.wantRollback)
				}
			})
		})
	}
}

func serviceTaskDef(t *testing.T, h *harness, service string) string {
	t.Helper()
	out, err := h.sim.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe %s: %v", service, err)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}
