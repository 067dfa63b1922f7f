package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

// speed runs the demo's simulated time fast: a ten-second rollout takes a
// fifth of a second.
const speed = 50

// recorder keeps the run's events.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Report(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) count(match func(event.Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if match(e) {
			n++
		}
	}
	return n
}

// prepared is a demo scenario's simulated account and config, as pipeline
// options with a recorder attached.
func prepared(t *testing.T, scenario string) (*demo.Env, pipeline.Options, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts := demo.Options{Scenario: scenario, Speed: speed, Reporter: rec}
	env, err := demo.Prepare(t.Context(), opts)
	if err != nil {
		t.Fatalf("prepare %s: %v", scenario, err)
	}
	t.Cleanup(env.Close)
	return env, env.Pipeline(opts), rec
}

func TestDeploy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		scenario  string
		skip      bool
		wantExit  int
		wantWrite bool // RegisterTaskDefinition or UpdateService was called
		wantCheck bool // the checklist ran
	}{
		{name: "healthy", scenario: "healthy", wantExit: failure.ExitOK, wantWrite: true, wantCheck: true},
		{name: "preflight failure writes nothing", scenario: "missing-ssm-parameter", wantExit: failure.ExitPreflight, wantCheck: true},
		{name: "skipped preflight deploys anyway", scenario: "missing-ssm-parameter", skip: true, wantExit: failure.ExitOK, wantWrite: true},
		{name: "rollout failure after preflight", scenario: "crash-loop", wantExit: failure.ExitRollout, wantWrite: true, wantCheck: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, opts, rec := prepared(t, tt.scenario)
			opts.Preflight.Skip = tt.skip
			res, err := pipeline.Deploy(t.Context(), opts)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Fatalf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			calls := env.Account.Calls()
			if wrote := calls["RegisterTaskDefinition"]+calls["UpdateService"] > 0; wrote != tt.wantWrite {
				t.Errorf("wrote = %v (calls %v), want %v", wrote, calls, tt.wantWrite)
			}
			checked := rec.count(func(e event.Event) bool { _, ok := e.(event.CheckFinished); return ok })
			if (checked > 0) != tt.wantCheck || (len(res.Checks) > 0) != tt.wantCheck {
				t.Errorf("checks reported %d, in result %d; want any = %v", checked, len(res.Checks), tt.wantCheck)
			}
			if tt.wantWrite != (len(res.Services) > 0) {
				t.Errorf("services in result = %d, want any = %v", len(res.Services), tt.wantWrite)
			}
		})
	}
}

func TestWithoutAWSClients(t *testing.T) {
	t.Parallel()
	cause := errors.New(`failed to get shared config profile, nope`)
	tests := []struct {
		name string
		run  func(context.Context, pipeline.Options) error
		skip bool
	}{
		{"deploy explains it in preflight", func(ctx context.Context, o pipeline.Options) error { _, err := pipeline.Deploy(ctx, o); return err }, false},
		{"deploy without preflight", func(ctx context.Context, o pipeline.Options) error { _, err := pipeline.Deploy(ctx, o); return err }, true},
		{"wait", func(ctx context.Context, o pipeline.Options) error { _, err := pipeline.Wait(ctx, o); return err }, false},
		{"rollback", func(ctx context.Context, o pipeline.Options) error { _, err := pipeline.Rollback(ctx, o); return err }, false},
		{"status", func(ctx context.Context, o pipeline.Options) error { _, err := pipeline.Status(ctx, o); return err }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, opts, _ := prepared(t, "healthy")
			opts.AWS = pipeline.FromClients(nil, cause)
			opts.Preflight.Skip = tt.skip
			err := tt.run(t.Context(), opts)
			if got := failure.ExitCode(err); got != failure.ExitPreflight {
				t.Fatalf("exit = %d (%v), want %d", got, err, failure.ExitPreflight)
			}
			if len(env.Account.Calls()) != 0 {
				t.Fatalf("AWS calls made without clients: %v", env.Account.Calls())
			}
		})
	}
}

// TestStagesShareOneEventStream checks that the engine's events and the
// checklist's reach the same reporter, in pipeline order.
func TestStagesShareOneEventStream(t *testing.T) {
	t.Parallel()
	_, opts, rec := prepared(t, "healthy")
	if _, err := pipeline.Deploy(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	var stages []failure.Stage
	for _, e := range rec.events {
		if s, ok := e.(event.StageStarted); ok && !slices.Contains(stages, s.Stage) {
			stages = append(stages, s.Stage)
		}
	}
	want := []failure.Stage{failure.StagePreflight, failure.StageRegister, failure.StageUpdate, failure.StageRollout, failure.StageHealth}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages in order of first start = %v, want %v", stages, want)
	}
}
