package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

func TestDeployInterrupted(t *testing.T) {
	tests := []struct {
		name        string
		cancelOn    func(event.Event) bool
		wantStage   failure.Stage
		wantInError string
	}{
		{
			name:        "while following the deployment",
			cancelOn:    func(e event.Event) bool { d, ok := e.(event.DeploymentStarted); return ok && !d.Rollback },
			wantStage:   failure.StageRollout,
			wantInError: "interrupted while following deployment ecs-svc/",
		},
		{
			name:        "during the rollback",
			cancelOn:    func(e event.Event) bool { d, ok := e.(event.DeploymentStarted); return ok && d.Rollback },
			wantStage:   failure.StageRollback,
			wantInError: "interrupted during the rollback to arn:aws:ecs:us-east-1:123456789012:task-definition/api:1: rollback deployment ecs-svc/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api", CircuitBreaker: true})
				h.sim.WithoutServiceDeployments() // the deployments[] path
				h.sim.Script("prod", "api", sim.CrashLoop(1, crashLogs...))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				h.on(func(e event.Event) {
					if tt.cancelOn(e) {
						cancel()
					}
				})
				o := h.opts(svc)
				o.Image = "demo/api:v2"
				res, err := h.run(ctx, deploy.Deploy, o)
				if got := failure.ExitCode(err); got != failure.ExitInterrupted || !errors.Is(err, context.Canceled) {
					t.Fatalf("exit = %d, err = %v; want 130 wrapping context.Canceled", got, err)
				}
				if !strings.Contains(err.Error(), tt.wantInError) {
					t.Fatalf("error = %v, want it to say %q", err, tt.wantInError)
				}
				sr := res.Services[0]
				if sr.Stage != tt.wantStage || sr.DeploymentID == "" || sr.TaskDefinition == "" {
					t.Fatalf("result = %+v, want stage %s with the deployment named", sr, tt.wantStage)
				}
				if tt.wantStage == failure.StageRollback && (sr.RollbackDeploymentID == "" || sr.RolledBack) {
					t.Fatalf("result = %+v, want the unfinished rollback deployment named", sr)
				}
			})
		})
	}
}

func TestDeployManyServicesReportsEachAndTheWorstExitCode(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		api := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api"})
		web := h.service(sim.ServiceSpec{Cluster: "prod", Name: "web", CircuitBreaker: true})
		worker := h.service(sim.ServiceSpec{Cluster: "batch", Name: "worker"})
		h.sim.Script("prod", "web", sim.CrashLoop(1, crashLogs...))
		h.health.fail("worker")
		o := h.opts(api, web, worker)
		o.Tag = "v2"
		res, err := h.run(context.Background(), deploy.Deploy, o)
		if got := failure.ExitCode(err); got != failure.ExitHealth {
			t.Fatalf("exit = %d, want %d (worst of done, rollout, health); err = %v", got, failure.ExitHealth, err)
		}
		want := []struct {
			name       string
			stage      failure.Stage
			rolledBack bool
		}{{"api", failure.StageDone, false}, {"web", failure.StageRollout, true}, {"worker", failure.StageHealth, true}}
		for i, w := range want {
			sr := res.Services[i]
			if sr.Name != w.name || sr.Stage != w.stage || sr.RolledBack != w.rolledBack || (w.stage == failure.StageDone) != (sr.Error == "") {
				t.Errorf("result %d = %+v, want %+v", i, sr, w)
			}
		}
		if n := len(failure.All(err)); n != 2 {
			t.Fatalf("%d failures in the error, want 2: %v", n, err)
		}
	})
}

// TestDeployRespectsParallel checks that Parallel bounds the services being
// planned, registered and updated, while every service can wait for its
// rollout at once: waiting is shared by the cluster's poller.
func TestDeployRespectsParallel(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		var services []config.Service
		for i := range 6 {
			services = append(services, h.service(sim.ServiceSpec{Cluster: "prod", Name: fmt.Sprintf("svc-%d", i)}))
		}
		var mu sync.Mutex
		arrived, writing, writePeak, waiting, waitPeak := 0, 0, 0, 0, 0
		partner := make(chan struct{}) // closed and replaced whenever a service arrives
		h.on(func(e event.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch e := e.(type) {
			case event.StageStarted:
				switch e.Stage {
				case failure.StageRegister:
					arrived++
					writing++
					writePeak = max(writePeak, writing)
					close(partner)
					partner = make(chan struct{})
					// The simulator answers at once: hold each service until
					// its partner of the pair Parallel allows has started too
					// (or a simulated second has passed, should Parallel
					// not let it in), so the bound is reached.
					pair := (arrived + 1) / 2 * 2
					timeout := time.After(time.Second)
					for arrived < pair {
						arrivedCh := partner
						mu.Unlock()
						select {
						case <-arrivedCh:
						case <-timeout:
							pair = 0
						}
						mu.Lock()
					}
				case failure.StageRollout:
					writing--
					waiting++
					waitPeak = max(waitPeak, waiting)
				}
			case event.ServiceFinished:
				waiting--
			}
		})
		// No hold is needed for the rollouts: the bubble's clock moves only
		// when every goroutine waits, so the first pair cannot finish
		// before the others have had their turn to start waiting too.
		o := h.opts(services...)
		o.Tag, o.Parallel = "v2", 2
		if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
			t.Fatal(err)
		}
		if writePeak != 2 {
			t.Fatalf("%d services registered and updated at once, want 2", writePeak)
		}
		if waitPeak <= o.Parallel {
			t.Fatalf("%d services waited for their rollouts at once, want more than Parallel (%d)", waitPeak, o.Parallel)
		}
	})
}

// TestDeployManyServicesShareDescribeCalls deploys 25 services of one
// cluster at once: their watchers share one DescribeServices per 10
// services per poll instead of polling one by one.
func TestDeployManyServicesShareDescribeCalls(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		var services []config.Service
		for i := range 25 {
			services = append(services, h.service(sim.ServiceSpec{Cluster: "prod", Name: fmt.Sprintf("svc-%02d", i)}))
		}
		o := h.opts(services...)
		o.Tag, o.Parallel = "v2", 25
		res, err := h.run(context.Background(), deploy.Deploy, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, sr := range res.Services {
			if sr.Stage != failure.StageDone || sr.RolloutState != "COMPLETED" {
				t.Fatalf("%s: %+v", sr.Name, sr)
			}
		}
		elapsed := time.Since(h.start)
		polls := int(elapsed/time.Second) + 2 + 5       // at most one per second, plus start-up wake-ups 200ms apart
		calls := h.sim.Calls()["DescribeServices"] - 25 // one per service to plan
		if bound := 3 * polls; calls > bound {
			t.Fatalf("%d DescribeServices calls to watch 25 services for %s, want at most %d (3 per poll)", calls, elapsed, bound)
		}
		t.Logf("%d DescribeServices calls to watch 25 services for %s of simulated time", calls, elapsed)
	})
}

func TestDeployServiceOrClusterNotFound(t *testing.T) {
	tests := []struct {
		name        string
		svc         config.Service
		wantInError []string
	}{
		{"service", config.Service{Name: "ghost", Cluster: "prod", Service: "ghost"}, []string{"service ghost not found in cluster prod, region us-east-1"}},
		{"cluster", config.Service{Name: "api", Cluster: "nowhere", Service: "api"}, []string{"cluster nowhere not found in region us-east-1", "ClusterNotFoundException"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				h.service(sim.ServiceSpec{Cluster: "prod", Name: "api"})
				o := h.opts(tt.svc)
				o.Tag = "v2"
				_, err := h.run(context.Background(), deploy.Deploy, o)
				if failure.ExitCode(err) != failure.ExitRollout || !errors.Is(err, deploy.ErrNotFound) || failure.RunbookIDOf(err) != runbook.RolloutNotFound {
					t.Fatalf("err = %v (exit %d), want a not-found rollout failure", err, failure.ExitCode(err))
				}
				for _, s := range tt.wantInError {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				if n := h.sim.Calls()["RegisterTaskDefinition"] + h.sim.Calls()["UpdateService"]; n != 0 {
					t.Fatalf("%d writes for a service that does not exist", n)
				}
			})
		})
	}
}

func TestDeployPlans(t *testing.T) {
	tests := []struct {
		name          string
		opts          func(*deploy.Options)
		wantRegisters int
		wantUpdates   int
		wantPlanned   event.Planned
	}{
		{
			name: "dry run writes nothing",
			opts: func(o *deploy.Options) { o.Image, o.DryRun = "demo/api:v2", true },
			wantPlanned: event.Planned{Container: "app", OldImage: "demo/api:v1", NewImage: "demo/api:v2", NewTaskDef: "api:2", DryRun: true,
				Changes: []result.Change{{Path: "containerDefinitions[app].image", Old: "demo/api:v1", New: "demo/api:v2"}}},
			wantRegisters: 0, wantUpdates: 0,
		},
		{
			name:          "same image reuses the revision and changes nothing",
			opts:          func(o *deploy.Options) { o.Image = "demo/api:v1" },
			wantPlanned:   event.Planned{Container: "app", OldImage: "demo/api:v1", NewImage: "demo/api:v1", Reused: true},
			wantRegisters: 0, wantUpdates: 0,
		},
		{
			name:          "force new deployment reuses the revision",
			opts:          func(o *deploy.Options) { o.ForceNewDeployment = true },
			wantPlanned:   event.Planned{Container: "app", OldImage: "demo/api:v1", NewImage: "demo/api:v1", Reused: true},
			wantRegisters: 0, wantUpdates: 1,
		},
		{
			name: "tag",
			opts: func(o *deploy.Options) { o.Tag = "v3" },
			wantPlanned: event.Planned{Container: "app", OldImage: "demo/api:v1", NewImage: "demo/api:v3",
				Changes: []result.Change{{Path: "containerDefinitions[app].image", Old: "demo/api:v1", New: "demo/api:v3"}}},
			wantRegisters: 1, wantUpdates: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				tdArn := h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api"})
				o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: time.Minute})
				tt.opts(&o)
				before := primaryID(t, h)
				res, err := h.run(context.Background(), deploy.Deploy, o)
				if err != nil {
					t.Fatal(err)
				}
				planned := event.Of[event.Planned](h.rec.Events())
				if len(planned) != 1 {
					t.Fatalf("planned events: %+v", planned)
				}
				got := planned[0]
				if tt.wantPlanned.NewTaskDef == "" && tt.wantPlanned.Reused {
					tt.wantPlanned.NewTaskDef = tdArn
				}
				got.At, got.Service, got.CurrentTaskDef = time.Time{}, "", ""
				if !reflect.DeepEqual(got, tt.wantPlanned) {
					t.Fatalf("planned = %+v, want %+v", got, tt.wantPlanned)
				}
				calls := h.sim.Calls()
				if calls["RegisterTaskDefinition"] != tt.wantRegisters || calls["UpdateService"] != tt.wantUpdates {
					t.Fatalf("register %d, update %d; want %d, %d", calls["RegisterTaskDefinition"], calls["UpdateService"], tt.wantRegisters, tt.wantUpdates)
				}
				if o.ForceNewDeployment && res.Services[0].DeploymentID == before {
					t.Fatalf("force new deployment followed the old deployment %s", before)
				}
			})
		})
	}
}

func TestDeployContainerChoice(t *testing.T) {
	containers := func() []ecstypes.ContainerDefinition {
		return []ecstypes.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("demo/app:v1"), Essential: aws.Bool(true)},
			{Name: aws.String("envoy"), Image: aws.String("envoyproxy/envoy:v1.30"), Essential: aws.Bool(false)},
		}
	}
	t.Run("several containers and none configured is a config error", func(t *testing.T) {
		simTest(t, func(t *testing.T, h *harness) {
			h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api", Containers: containers()})
			o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", Line: 7})
			o.Tag = "v2"
			_, err := h.run(context.Background(), deploy.Deploy, o)
			if failure.ExitCode(err) != failure.ExitUsage || !strings.Contains(err.Error(), "(config line 7)") || !strings.Contains(err.Error(), "app, envoy") {
				t.Fatalf("err = %v (exit %d), want exit 2 naming the line and the containers", err, failure.ExitCode(err))
			}
		})
	})
	t.Run("the configured container is the one updated", func(t *testing.T) {
		simTest(t, func(t *testing.T, h *harness) {
			h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api", Containers: containers()})
			o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", Container: "envoy"})
			o.Tag = "v1.31"
			if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
				t.Fatal(err)
			}
			p := event.Of[event.Planned](h.rec.Events())[0]
			if p.Container != "envoy" || p.NewImage != "envoyproxy/envoy:v1.31" {
				t.Fatalf("planned %+v", p)
			}
		})
	})
}

func TestDeployEventsAreReportedOnce(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api", Desired: 3})
		h.sim.WithoutServiceDeployments() // the deployments[] path: progress by counts
		o := h.opts(svc)
		o.Tag = "v2"
		if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
			t.Fatal(err)
		}
		events := h.rec.Events()
		var msgs []string
		for _, e := range event.Of[event.ServiceEvent](events) {
			msgs = append(msgs, e.Message)
		}
		if len(msgs) != 5 || !strings.Contains(msgs[len(msgs)-1], "has reached a steady state") {
			t.Fatalf("service events = %q, want 3 task starts, completion and steady state, once each", msgs)
		}
		var last event.DeploymentProgress
		progress := event.Of[event.DeploymentProgress](events)
		for i, p := range progress {
			if i > 0 && p == last {
				t.Fatalf("progress repeated without a change: %+v", p)
			}
			last = p
		}
		if last.RolloutState != "COMPLETED" || last.Running != 3 {
			t.Fatalf("last progress = %+v", last)
		}
		order := []string{}
		for _, e := range events {
			switch e := e.(type) {
			case event.StageStarted:
				order = append(order, string(e.Stage))
			case event.Planned:
				order = append(order, "planned")
			case event.TaskDefinitionRegistered:
				order = append(order, "registered")
			case event.DeploymentStarted:
				order = append(order, "started")
			case event.ServiceFinished:
				order = append(order, fmt.Sprint("finished ok=", e.OK))
			}
		}
		want := []string{"register", "planned", "registered", "update", "started", "rollout", "finished ok=true"}
		if !slices.Equal(order, want) {
			t.Fatalf("event order = %q, want %q", order, want)
		}
	})
}

func TestWait(t *testing.T) {
	tests := []struct {
		name           string
		spec           sim.ServiceSpec
		rollout        sim.Rollout
		wantExit       int
		wantRolledBack bool
	}{
		{"a slow deployment started by an interrupted run completes", sim.ServiceSpec{Name: "api", Desired: 3}, sim.Slow(20 * time.Second), 0, false},
		{"a crash-looping deployment fails and is rolled back", sim.ServiceSpec{Name: "api", CircuitBreaker: true}, sim.CrashLoop(1, crashLogs...), failure.ExitRollout, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				tt.spec.Cluster = "prod"
				svc := h.service(tt.spec)
				h.sim.Script("prod", "api", tt.rollout)
				// A deploy interrupted right after it started its deployment.
				ctx, cancel := context.WithCancel(context.Background())
				h.on(func(e event.Event) {
					if _, ok := e.(event.DeploymentStarted); ok {
						cancel()
					}
				})
				o := h.opts(svc)
				o.Tag = "v2"
				first, err := h.run(ctx, deploy.Deploy, o)
				if failure.ExitCode(err) != failure.ExitInterrupted {
					t.Fatalf("setup: %v", err)
				}
				h.clearHooks()

				res, err := h.run(context.Background(), deploy.Wait, h.opts(svc))
				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Fatalf("exit = %d, want %d: %v", got, tt.wantExit, err)
				}
				sr := res.Services[0]
				if sr.DeploymentID != first.Services[0].DeploymentID {
					t.Fatalf("waited for %s, want the deploy's %s", sr.DeploymentID, first.Services[0].DeploymentID)
				}
				if sr.RolledBack != tt.wantRolledBack || !strings.HasSuffix(sr.PreviousTaskDefinition, "/api:1") {
					t.Fatalf("result = %+v", sr)
				}
			})
		})
	}
}

func TestRollback(t *testing.T) {
	tests := []struct {
		name        string
		deploys     []string // tags deployed before the rollback
		toRevision  int
		script      []sim.Rollout
		wantExit    int
		wantRunbook string
		wantFinal   string
		wantErr     string // in the error
		noUpdate    bool   // the rollback changes nothing
	}{
		{name: "to the previous revision", deploys: []string{"v2", "v3"}, wantFinal: "api:2"},
		{name: "to a chosen revision", deploys: []string{"v2", "v3"}, toRevision: 1, wantFinal: "api:1"},
		{name: "no earlier revision", wantExit: failure.ExitRollback, wantRunbook: runbook.RolloutNoRollbackTarget, wantFinal: "api:1"},
		{name: "revision that does not exist", deploys: []string{"v2"}, toRevision: 9, wantExit: failure.ExitUsage, wantRunbook: runbook.RolloutNoRollbackTarget, wantFinal: "api:2",
			wantErr: "family api has no revision 9; the ACTIVE revisions of api are 1, 2"},
		{name: "revision already running", deploys: []string{"v2"}, toRevision: 2, wantFinal: "api:2", noUpdate: true},
		{name: "the previous revision fails too", deploys: []string{"v2"}, script: []sim.Rollout{sim.Healthy(), sim.CrashLoop(1)}, wantExit: failure.ExitRollback, wantRunbook: runbook.RolloutRollbackFailed, wantFinal: "api:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api", CircuitBreaker: true})
				h.sim.Script("prod", "api", tt.script...)
				for _, tag := range tt.deploys {
					o := h.opts(svc)
					o.Tag = tag
					if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
						t.Fatal(err)
					}
				}
				o := h.opts(svc)
				o.ToRevision = tt.toRevision
				updates := h.sim.Calls()["UpdateService"]
				res, err := h.run(context.Background(), deploy.Rollback, o)
				if got := failure.ExitCode(err); got != tt.wantExit {
					t.Fatalf("exit = %d, want %d: %v", got, tt.wantExit, err)
				}
				if got := failure.RunbookIDOf(err); got != tt.wantRunbook {
					t.Fatalf("runbook = %q, want %q: %v", got, tt.wantRunbook, err)
				}
				if got := currentTaskDef(t, h); !strings.HasSuffix(got, "/"+tt.wantFinal) {
					t.Fatalf("service runs %s, want %s", got, tt.wantFinal)
				}
				if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("error %v, want it to say %q", err, tt.wantErr)
				}
				if tt.noUpdate {
					if n := h.sim.Calls()["UpdateService"] - updates; n != 0 || res.Services[0].RolledBack {
						t.Fatalf("a rollback deployment was started: %+v", res.Services[0])
					}
					return
				}
				if tt.wantExit == 0 && (!res.Services[0].RolledBack || res.Services[0].RolloutState != "COMPLETED") {
					t.Fatalf("result = %+v", res.Services[0])
				}
			})
		})
	}
}

func TestStatus(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		api := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api", Desired: 3})
		web := h.service(sim.ServiceSpec{Cluster: "prod", Name: "web"})
		web.Container = "frontend"
		ghost := config.Service{Name: "ghost", Cluster: "prod", Service: "ghost"}
		lost := config.Service{Name: "lost", Cluster: "gone", Service: "lost"}
		h.sim.Script("prod", "api", sim.Slow(time.Minute))
		o := h.opts(api)
		o.Tag = "v2"
		ctx, cancel := context.WithCancel(context.Background())
		h.on(func(e event.Event) {
			if _, ok := e.(event.DeploymentStarted); ok {
				cancel()
			}
		})
		if _, err := h.run(ctx, deploy.Deploy, o); failure.ExitCode(err) != failure.ExitInterrupted {
			t.Fatal(err)
		}
		time.Sleep(70 * time.Second) // one task of the new revision is up

		st, err := deploy.Status(context.Background(), h.opts(api, web, ghost, lost))
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 4 {
			t.Fatalf("statuses = %+v", st)
		}
		a := st[0]
		if !a.Found || !strings.HasSuffix(a.TaskDefinition, "/api:2") || len(a.Deployments) != 2 || a.Deployments[0].RolloutState != "IN_PROGRESS" ||
			a.Deployments[0].Running != 1 || a.Containers[0].Image != "demo/api:v2" || len(a.Events) == 0 || len(a.Drift) != 0 {
			t.Fatalf("api status = %+v", a)
		}
		if len(st[1].Drift) != 1 || !strings.Contains(st[1].Drift[0], `container "frontend" from the config is not in`) {
			t.Fatalf("web drift = %q", st[1].Drift)
		}
		if st[2].Found || len(st[2].Drift) != 1 || !strings.Contains(st[2].Drift[0], "service ghost not found in cluster prod, region us-east-1") {
			t.Fatalf("ghost = %+v", st[2])
		}
		if st[3].Found || !strings.Contains(strings.Join(st[3].Drift, ""), "cluster gone not found in region us-east-1") {
			t.Fatalf("lost = %+v", st[3])
		}
	})
}

func primaryID(t *testing.T, h *harness) string {
	t.Helper()
	st, err := deploy.Status(context.Background(), h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api"}))
	if err != nil || len(st) != 1 || len(st[0].Deployments) == 0 {
		t.Fatalf("status: %v %+v", err, st)
	}
	return st[0].Deployments[0].ID
}

// TestRunTimeoutStartsTheRollbackWithoutWaiting: when the run's --timeout
// (the context's deadline) ends the wait, the rollout fails as timed out,
// the rollback is still started with a short grace, and not followed; a
// rollback not seen to complete is unknown (exit 6), and the messages name
// the --timeout that cut the run, not the service's wait_timeout (issue 11,
// fault 6). This is the deployments[] path; service deployments are rolled
// back the ECS way (TestRunTimeoutStopsTheServiceDeployment).
func TestRunTimeoutStartsTheRollbackWithoutWaiting(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		h.sim.WithoutServiceDeployments()
		svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api"})
		svc.WaitTimeout = 24 * time.Hour
		h.sim.Script("prod", "api", sim.Slow(time.Hour))
		ctx, cancel := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, &failure.RunTimeout{After: 100 * time.Millisecond})
		defer cancel()
		o := h.opts(svc)
		o.Tag = "v2"
		res, err := h.run(ctx, deploy.Deploy, o)
		if failure.ExitCode(err) != failure.ExitRollback || !errors.Is(err, deploy.ErrTimedOut) || !errors.Is(err, failure.ErrUnknown) {
			t.Fatalf("err = %v (exit %d), want a rollout timeout and an unconfirmed rollback, exit 6", err, failure.ExitCode(err))
		}
		msg := err.Error()
		if !strings.Contains(msg, "was still going when the run's --timeout of 100ms passed") || strings.Contains(msg, "did not finish within 24h0m0s") ||
			!strings.Contains(msg, "started but not followed: the run's --timeout of 100ms passed") {
			t.Fatalf("err = %v, want the --timeout named as what cut the run", msg)
		}
		if rb := failure.All(err)[1]; rb.RunbookID != runbook.RolloutRollbackUnconfirmed || !strings.Contains(rb.Fix, "omdeploy wait --service api") {
			t.Fatalf("rollback failure = %+v, want the rollback-unconfirmed entry with its fix", rb)
		}
		if got := timedOutAfter(t, h.rec.Events()); got != 100*time.Millisecond {
			t.Errorf("timed out %s of simulated time after the deployment started, want the run's timeout 100ms", got)
		}
		sr := res.Services[0]
		if sr.RollbackDeploymentID == "" || sr.RolledBack || h.sim.Calls()["UpdateService"] != 2 {
			t.Fatalf("result = %+v, want a rollback started and not followed", sr)
		}
		if got := currentTaskDef(t, h); !strings.HasSuffix(got, "/api:1") {
			t.Fatalf("service runs %s, want the rollback target api:1", got)
		}
	})
}

// TestRunTimeoutStopsTheServiceDeployment: the run's --timeout ends the
// wait for a service deployment in flight; omdeploy rolls it back the way
// ECS does, StopServiceDeployment(ROLLBACK) rather than a second
// UpdateService, and follows it to ROLLBACK_SUCCESSFUL within
// DefaultCancelRollbackTimeout on a context of its own: a timed-out
// rollout that was rolled back (exit 4).
func TestRunTimeoutStopsTheServiceDeployment(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Cluster: "prod", Name: "api", Desired: 2})
		svc.WaitTimeout = 24 * time.Hour
		h.sim.Script("prod", "api", sim.Slow(time.Hour))
		ctx, cancel := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, &failure.RunTimeout{After: 100 * time.Millisecond})
		defer cancel()
		o := h.opts(svc)
		o.Tag = "v2"
		res, err := h.run(ctx, deploy.Deploy, o)
		if failure.ExitCode(err) != failure.ExitRollout || !errors.Is(err, deploy.ErrTimedOut) || errors.Is(err, failure.ErrUnknown) {
			t.Fatalf("err = %v (exit %d), want a rollout timeout that was rolled back, exit 4", err, failure.ExitCode(err))
		}
		calls := h.sim.Calls()
		if calls["StopServiceDeployment"] != 1 || calls["UpdateService"] != 1 {
			t.Errorf("calls = %v, want one StopServiceDeployment and no second UpdateService", calls)
		}
		sr := res.Services[0]
		if !sr.RolledBack || sr.Status != "ROLLBACK_SUCCESSFUL" {
			t.Fatalf("result rolled back %v, status %q; want rolled back, ROLLBACK_SUCCESSFUL", sr.RolledBack, sr.Status)
		}
		if got := currentTaskDef(t, h); !strings.HasSuffix(got, "/api:1") {
			t.Fatalf("service runs %s, want the source revision api:1", got)
		}
	})
}
