package failure

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain error is internal", boom, ExitInternal},
		{"config", New(StageConfig, "", "", boom), ExitUsage},
		{"preflight", New(StagePreflight, "", "", boom), ExitPreflight},
		{"register", New(StageRegister, "s", "", boom), ExitRollout},
		{"update", New(StageUpdate, "s", "", boom), ExitRollout},
		{"rollout", New(StageRollout, "s", "", boom), ExitRollout},
		{"health", New(StageHealth, "s", "", boom), ExitHealth},
		{"rollback", New(StageRollback, "s", "", boom), ExitRollback},
		{"release", New(StageRelease, "s", "", boom), ExitRelease},
		{"release is worse than health", errors.Join(New(StageHealth, "a", "", boom), New(StageRelease, "b", "", boom)), ExitRelease},
		{"an unknown state is worse than a release", errors.Join(New(StageRelease, "a", "", boom), New(StageRollback, "b", "", boom)), ExitRollback},
		{"wrapped", fmt.Errorf("deploy: %w", New(StageHealth, "s", "", boom)), ExitHealth},
		{"worst of joined", errors.Join(New(StageRollout, "a", "", boom), New(StageRollback, "b", "", boom), New(StageHealth, "c", "", boom)), ExitRollback},
		{"unknown rollout", New(StageRollout, "s", "", fmt.Errorf("%w: no read", ErrUnknown)), ExitRollback},
		{"unknown update beside a health failure", errors.Join(New(StageHealth, "a", "", boom), New(StageUpdate, "b", "", fmt.Errorf("%w: lost", ErrUnknown))), ExitRollback},
		{"changes present", fmt.Errorf("plan: %w", ErrChanges), ExitChanges},
		{"interrupt wins", errors.Join(New(StageRollback, "a", "", boom), New(StageRollout, "b", "", context.Canceled)), ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Fatalf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestRunTimeoutCause(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), 0, &RunTimeout{After: time.Minute})
	defer cancel()
	<-ctx.Done()
	rt, ok := RunTimeoutOf(ctx)
	if !ok || rt.After != time.Minute || !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Fatalf("RunTimeoutOf = %v, %v; cause %v", rt, ok, context.Cause(ctx))
	}
	if _, ok := RunTimeoutOf(context.Background()); ok {
		t.Fatal("a context without a deadline has no run timeout")
	}
}

func TestNewNil(t *testing.T) {
	if err := New(StageRollout, "s", "", nil); err != nil {
		t.Fatalf("New(nil) = %v, want nil", err)
	}
}

func TestRunbookIDOf(t *testing.T) {
	err := errors.Join(New(StageRollout, "a", "", errors.New("x")), New(StageHealth, "b", "health.phantom-route", errors.New("y")))
	if got := RunbookIDOf(err); got != "health.phantom-route" {
		t.Fatalf("RunbookIDOf = %q", got)
	}
	if st, ok := StageOf(err); !ok || st != StageRollout {
		t.Fatalf("StageOf = %q %v", st, ok)
	}
}

func TestWorstStage(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want Stage
	}{
		{"none", boom, ""},
		{"one", New(StageHealth, "a", "", boom), StageHealth},
		{"worst code wins", errors.Join(New(StageHealth, "a", "", boom), New(StageRollback, "b", "", boom), New(StageRollout, "c", "", boom)), StageRollback},
		{"rollback outranks release", errors.Join(New(StageRollback, "a", "", boom), New(StageRelease, "b", "", boom)), StageRollback},
		{"release outranks health", errors.Join(New(StageRelease, "a", "", boom), New(StageHealth, "b", "", boom)), StageRelease},
		{"interrupt names its stage", errors.Join(New(StageRollback, "a", "", boom), New(StageRollout, "b", "", context.Canceled)), StageRollout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WorstStage(tt.err); got != tt.want {
				t.Fatalf("WorstStage = %q, want %q", got, tt.want)
			}
		})
	}
}
