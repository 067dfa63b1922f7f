package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// lockedRun is pipeline options for one locked service in moto; the
// reporter sees every event.
func lockedRun(t *testing.T, f testenv.Fixture, who actor.Actor, rep event.Reporter) pipeline.Options {
	t.Helper()
	src := fmt.Sprintf("region: %s\nlock: {ttl: 10m}\nservices:\n  - name: web\n    cluster: %s\n    service: %s\n    container: app\n    wait_timeout: 30s\n",
		testenv.MotoRegion, f.Cluster, f.Service)
	cfg, err := config.Parse("omdeploy.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	opts := pipeline.Options{
		Config: cfg, Services: cfg.Services,
		AWS:      pipeline.FromClients(testenv.Moto(t), nil),
		Reporter: rep,
		Actor:    who,
	}
	// Preflight runs before the lock and is tested elsewhere; the lock is
	// taken with it skipped all the same.
	opts.Preflight.Skip = true
	opts.Engine.ForceNewDeployment = true
	opts.Engine.Poll.Interval = 100 * time.Millisecond
	return opts
}

func leaseExists(t *testing.T, f testenv.Fixture) bool {
	t.Helper()
	_, err := testenv.Moto(t).SSM.GetParameter(testenv.Ctx(t), &ssm.GetParameterInput{Name: aws.String(lock.Name(f.Cluster, f.Service))})
	return err == nil
}

// TestTwoDeploysTogether starts two deploys of one service at once: each
// holds at its plan until the other has returned, so only a lock lets one
// through. One exits 0, the other 3 naming the first.
func TestTwoDeploysTogether(t *testing.T) {
	f := testenv.NewFixture(t, testenv.Moto(t), testenv.FixtureOptions{})
	runners := []actor.Actor{{Who: "alice@laptop", RunID: "run-a"}, {Who: "octocat", RunID: "run-b", RunURL: "https://github.com/acme/app/actions/runs/7"}}
	var (
		wg       sync.WaitGroup
		once     sync.Once
		returned = make(chan struct{}) // closed when the first deploy returns
		errs     = make([]error, len(runners))
		planned  = make([]bool, len(runners))
	)
	for i, who := range runners {
		rep := event.Func(func(e event.Event) {
			if _, ok := e.(event.Planned); ok {
				planned[i] = true
				select {
				case <-returned:
				case <-time.After(60 * time.Second):
				}
			}
		})
		opts := lockedRun(t, f, who, rep)
		wg.Go(func() {
			_, errs[i] = pipeline.Deploy(t.Context(), opts)
			once.Do(func() { close(returned) })
		})
	}
	wg.Wait()
	winner, loser := 0, 1
	if errs[0] != nil {
		winner, loser = 1, 0
	}
	if errs[winner] != nil || failure.ExitCode(errs[loser]) != failure.ExitPreflight {
		t.Fatalf("errors = %v, want one nil and one exiting %d", errs, failure.ExitPreflight)
	}
	if planned[loser] {
		t.Fatal("the deploy that did not get the lock went on to plan")
	}
	var fe *failure.Error
	if !errors.As(errs[loser], &fe) || fe.RunbookID != runbook.LockHeld || !strings.Contains(fe.Fix, "omdeploy unlock --service web") {
		t.Fatalf("loser's failure = %#v", fe)
	}
	msg := errs[loser].Error()
	if !strings.Contains(msg, runners[winner].Who) || !strings.Contains(msg, "since "+time.Now().UTC().Format("2006-01-02")) {
		t.Fatalf("loser's error %q does not name %s and since when", msg, runners[winner].Who)
	}
	if leaseExists(t, f) {
		t.Fatal("the winner's lease is still there after its deploy")
	}
}

func TestLockInPipeline(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, f testenv.Fixture)
	}{
		{"stale lease is taken over with a warning", func(t *testing.T, f testenv.Fixture) {
			gone := actor.Actor{Who: "killed-runner", RunID: "old"}
			if _, _, err := lock.Acquire(t.Context(), testenv.Moto(t).SSM, lock.Name(f.Cluster, f.Service), gone, time.Minute, time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			rec := &event.Recorder{}
			if _, err := pipeline.Deploy(t.Context(), lockedRun(t, f, actor.Actor{Who: "ci", RunID: "new"}, rec)); err != nil {
				t.Fatalf("deploy over a stale lease: %v", err)
			}
			var lockWarnings []string
			for _, w := range event.Of[event.Warning](rec.Events()) {
				if strings.Contains(w.Message, "deploy lock") {
					lockWarnings = append(lockWarnings, w.Message)
				}
			}
			if len(lockWarnings) != 1 || !strings.Contains(lockWarnings[0], "took over the lease of killed-runner") {
				t.Fatalf("deploy lock warnings = %q, want one taking over killed-runner's lease", lockWarnings)
			}
			if leaseExists(t, f) {
				t.Fatal("lease left after the deploy")
			}
		}},
		{"interrupted run releases the lease", func(t *testing.T, f testenv.Fixture) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			heldDuring := false
			rep := event.Func(func(e event.Event) {
				if _, ok := e.(event.Planned); ok {
					heldDuring = leaseExists(t, f)
					cancel() // Ctrl-C
				}
			})
			_, err := pipeline.Deploy(ctx, lockedRun(t, f, actor.Actor{Who: "ana@mbp", RunID: "local-1"}, rep))
			if failure.ExitCode(err) != failure.ExitInterrupted {
				t.Fatalf("exit = %d (%v), want %d", failure.ExitCode(err), err, failure.ExitInterrupted)
			}
			if !heldDuring {
				t.Fatal("no lease while the deploy ran")
			}
			if leaseExists(t, f) {
				t.Fatal("the interrupted deploy left its lease")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testenv.NewFixture(t, testenv.Moto(t), testenv.FixtureOptions{}))
		})
	}
}
