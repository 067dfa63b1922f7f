package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// runWorld runs the whole checklist against w, after mutate adjusts the
// options.
func runWorld(t *testing.T, w *world, mutate func(*Options)) ([]Check, error) {
	t.Helper()
	g := hermeticGit(t)
	opts := Options{Config: testConfig(t, g), AWS: w.apis(), Registry: w.art, git: g}
	if mutate != nil {
		mutate(&opts)
	}
	return Run(context.Background(), opts)
}

func TestRunAllPass(t *testing.T) {
	t.Parallel()
	w := newWorld()
	rec := &event.Recorder{}
	checks, err := runWorld(t, w, func(o *Options) {
		o.Reporter = rec
		o.Config.SSMParameters = []string{"/shared/api-key"}
		o.Config.IAMActions = []string{"s3:GetObject"}
	})
	if err != nil {
		t.Fatalf("Run: %v\n%+v", err, checks)
	}
	wantOrder := []string{
		IDCredentials, IDIdentity, IDRegion, IDIAMPermissions, IDSSMParameters, IDSecretsIgnored,
		testService + "/" + IDIAMPermissions, testService + "/" + IDSSMParameters, testService + "/" + IDSecretsExist,
		testService + "/" + IDECSCluster, testService + "/" + IDECSService, testService + "/" + IDImagesExist,
		testService + "/" + IDLogsGroup, testService + "/" + IDHealthContract, testService + "/" + IDLBTargetGroups,
	}
	var got []string
	for _, c := range checks {
		key := c.ID
		if c.Service != "" {
			key = c.Service + "/" + c.ID
		}
		got = append(got, key)
		if c.Status != event.StatusPass {
			t.Errorf("%s: %s %q, want pass", key, c.Status, c.Message)
		}
		if c.Message == "" {
			t.Errorf("%s: empty message", key)
		}
	}
	if !slices.Equal(got, wantOrder) {
		t.Fatalf("order = %v\nwant    %v", got, wantOrder)
	}

	events := rec.Events()
	if started := event.Of[event.StageStarted](events); len(started) != 1 || started[0].Stage != failure.StagePreflight {
		t.Fatalf("StageStarted events = %+v", started)
	}
	finished := event.Of[event.CheckFinished](events)
	if len(finished) != len(checks) {
		t.Fatalf("%d CheckFinished events for %d checks", len(finished), len(checks))
	}
	for _, f := range finished {
		if c := find(t, checks, f.ID, f.Service); c.Status != f.Status || c.Message != f.Message {
			t.Fatalf("event %+v disagrees with result %+v", f, c)
		}
	}
}

func TestRunOrdersServicesAsConfigured(t *testing.T) {
	t.Parallel()
	w := newWorld()
	checks, _ := runWorld(t, w, func(o *Options) {
		s := o.Config.Services[0]
		a, b := s, s
		a.Name, b.Name = "zeta", "alpha"
		o.Config.Services = []config.Service{a, b}
	})
	var services []string
	for _, c := range checks {
		if c.Service != "" && (len(services) == 0 || services[len(services)-1] != c.Service) {
			services = append(services, c.Service)
		}
	}
	if !slices.Equal(services, []string{"zeta", "alpha"}) {
		t.Fatalf("service order = %v, want config order [zeta alpha]", services)
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	checks := []Check{
		{ID: IDRegion, Status: event.StatusWarn, RunbookID: runbook.AWSRegionMismatch},
		{ID: IDSSMParameters, Service: "api", Status: event.StatusFail, RunbookID: runbook.SSMParameterMissing, Fix: "create /a/b in us-east-1"},
		{ID: IDECSService, Service: "api", Status: event.StatusSkip},
	}
	tests := []struct {
		name        string
		checks      []Check
		strict      bool
		wantErr     bool
		wantRunbook string
	}{
		{"a failure fails", checks, false, true, runbook.SSMParameterMissing},
		{"warnings alone pass", checks[:1], false, false, ""},
		{"warnings fail when strict", checks[:1], true, true, runbook.AWSRegionMismatch},
		{"skips never fail", checks[2:], true, false, ""},
		{"several failures point at each check's fix", checks, true, true, runbook.PreflightFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verdict(tt.checks, tt.strict)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Verdict = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrFailed) || failure.ExitCode(err) != failure.ExitPreflight {
				t.Fatalf("err %v: not ErrFailed with exit 3 (exit %d)", err, failure.ExitCode(err))
			}
			if got := failure.RunbookIDOf(err); got != tt.wantRunbook {
				t.Fatalf("runbook = %q, want %q", got, tt.wantRunbook)
			}
			var fe *failure.Error
			if errors.As(err, &fe) && tt.wantRunbook == runbook.SSMParameterMissing && fe.Fix != "create /a/b in us-east-1" {
				t.Fatalf("fix = %q, want the check's filled-in fix", fe.Fix)
			}
		})
	}
}

func TestRunFailureIsPreflightStage(t *testing.T) {
	t.Parallel()
	w := newWorld()
	w.service = nil
	checks, err := runWorld(t, w, nil)
	if failure.ExitCode(err) != failure.ExitPreflight {
		t.Fatalf("exit = %d (%v), want 3", failure.ExitCode(err), err)
	}
	if stage, _ := failure.StageOf(err); stage != failure.StagePreflight {
		t.Fatalf("stage = %q", stage)
	}
	if !strings.Contains(err.Error(), IDECSService+" ("+testService+")") {
		t.Fatalf("error %q does not name the failed check", err)
	}
	if c := find(t, checks, IDECSService, testService); c.Fix != runbook.Fix(runbook.ECSServiceMissing, map[string]string{"cluster": testCluster, "service": testService, "region": testRegion}) {
		t.Fatalf("fix is not the runbook's: %q", c.Fix)
	}
}

func TestRunStrictFailsOnWarning(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		w := newWorld()
		_, err := runWorld(t, w, func(o *Options) {
			o.Config.Services[0].Health = nil // a warning
			o.Strict = strict
		})
		if (err != nil) != strict {
			t.Fatalf("strict=%v: err = %v", strict, err)
		}
	}
}

// A check that hangs is cut off by the budget and fails; the others still
// report, and Run returns promptly.
func TestRunBudget(t *testing.T) {
	t.Parallel()
	w := newWorld()
	apis := w.apis()
	apis.ECS.(*fakeECS).DescribeClustersFunc = func(ctx context.Context, _ *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	start := time.Now()
	checks, err := runWorld(t, w, func(o *Options) {
		o.AWS = apis
		o.Budget = 200 * time.Millisecond
	})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("Run took %s with a 200ms budget", elapsed)
	}
	c := find(t, checks, IDECSCluster, testService)
	if c.Status != event.StatusFail || c.RunbookID != runbook.PreflightTimeout {
		t.Fatalf("hung check = %+v, want a timeout failure", c)
	}
	if failure.ExitCode(err) != failure.ExitPreflight {
		t.Fatalf("exit = %d, want 3", failure.ExitCode(err))
	}
	if s := find(t, checks, IDECSService, testService); s.Status != event.StatusPass {
		t.Fatalf("an independent check did not finish: %+v", s)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	w := newWorld()
	g := hermeticGit(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Options{Config: testConfig(t, g), AWS: w.apis(), Registry: w.art, git: g})
	if failure.ExitCode(err) != failure.ExitInterrupted {
		t.Fatalf("exit = %d (%v), want 130", failure.ExitCode(err), err)
	}
}

func TestRunNeedsConfig(t *testing.T) {
	t.Parallel()
	if _, err := Run(context.Background(), Options{}); err == nil {
		t.Fatal("Run without a config did not fail")
	}
}

// Without AWS clients the AWS checks say so; git and health still run.
func TestRunWithoutAWS(t *testing.T) {
	t.Parallel()
	checks, _ := runWorld(t, newWorld(), func(o *Options) { o.AWS = nil })
	for _, c := range checks {
		switch c.ID {
		case IDSecretsIgnored, IDHealthContract:
			if c.Status != event.StatusPass {
				t.Errorf("%s = %+v, want pass", c.ID, c)
			}
		default:
			if c.Status != event.StatusSkip {
				t.Errorf("%s = %+v, want skip", c.ID, c)
			}
		}
	}
}

func TestServicesOfOneClusterShareItsLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		clusters  []string
		wantCalls int64
	}{
		{"three services, one cluster", []string{"prod", "prod", "prod"}, 1},
		{"two clusters", []string{"prod", "staging", "prod"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			var calls atomic.Int64
			_, _ = runWorld(t, w, func(o *Options) {
				ecsAPI := o.AWS.ECS.(*fakeECS)
				inner := ecsAPI.DescribeClustersFunc
				ecsAPI.DescribeClustersFunc = func(ctx context.Context, in *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error) {
					calls.Add(1)
					return inner(ctx, in)
				}
				var services []config.Service
				for i, cl := range tt.clusters {
					s := o.Config.Services[0]
					s.Name, s.Cluster = fmt.Sprintf("svc-%d", i), cl
					services = append(services, s)
				}
				o.Config.Services = services
			})
			if got := calls.Load(); got != tt.wantCalls {
				t.Fatalf("DescribeClusters calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestRunBoundsConcurrentChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		concurrency int
		want        int64
	}{
		{"default", 0, DefaultConcurrency},
		{"two at once", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var inFlight, peak atomic.Int64
			// Every ECS call waits a little with others in flight, so an
			// unbounded runner would have every service's calls overlap.
			track := func() func() {
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				timer := time.NewTimer(5 * time.Millisecond)
				<-timer.C
				return func() { inFlight.Add(-1) }
			}
			_, _ = runWorld(t, newWorld(), func(o *Options) {
				o.Concurrency = tt.concurrency
				f := o.AWS.ECS.(*fakeECS)
				clusters, services, taskDefs := f.DescribeClustersFunc, f.DescribeServicesFunc, f.DescribeTaskDefinitionFunc
				f.DescribeClustersFunc = func(ctx context.Context, in *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error) {
					defer track()()
					return clusters(ctx, in)
				}
				f.DescribeServicesFunc = func(ctx context.Context, in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
					defer track()()
					return services(ctx, in)
				}
				f.DescribeTaskDefinitionFunc = func(ctx context.Context, in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
					defer track()()
					return taskDefs(ctx, in)
				}
				// Forty services in forty clusters: 120 ECS calls to make.
				var all []config.Service
				for i := range 40 {
					s := o.Config.Services[0]
					s.Name, s.Cluster = fmt.Sprintf("svc-%d", i), fmt.Sprintf("cl-%d", i)
					all = append(all, s)
				}
				o.Config.Services = all
			})
			if got := peak.Load(); got > tt.want || got < 2 {
				t.Fatalf("peak concurrent ECS calls = %d, want between 2 and %d", got, tt.want)
			}
		})
	}
}
