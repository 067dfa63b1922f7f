package deploy_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/sim"
)

var (
	_ deploy.ECSAPI  = (*sim.Sim)(nil)
	_ deploy.LogsAPI = (*sim.Sim)(nil)
)

// start is where every fake clock begins.
var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is a simulated account on a fake clock, with the events of the
// run recorded and a health checker the test controls.
type harness struct {
	t      *testing.T
	clk    *clock.Fake
	sim    *sim.Sim
	rec    *event.Recorder
	health *fakeHealth

	mu    sync.Mutex
	hooks []func(event.Event)
}

func newHarness(t *testing.T) *harness {
	clk := clock.NewFake(start)
	return &harness{t: t, clk: clk, sim: sim.New(clk), rec: &event.Recorder{}, health: &fakeHealth{}}
}

// service adds a simulated service and returns its config entry.
func (h *harness) service(spec sim.ServiceSpec) config.Service {
	if spec.Cluster == "" {
		spec.Cluster = "prod"
	}
	h.sim.AddService(spec)
	return config.Service{
		Name: spec.Name, Cluster: spec.Cluster, Service: spec.Name, WaitTimeout: 10 * time.Minute,
		Health: &config.Health{BaseURL: "https://" + spec.Name + ".example.test", Endpoints: []config.Endpoint{{Path: "/healthz"}}},
	}
}

// on calls f for every event, in the reporting goroutine.
func (h *harness) on(f func(event.Event)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hooks = append(h.hooks, f)
}

func (h *harness) clearHooks() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hooks = nil
}

func (h *harness) Report(e event.Event) {
	h.rec.Report(e)
	h.mu.Lock()
	hooks := append([]func(event.Event){}, h.hooks...)
	h.mu.Unlock()
	for _, f := range hooks {
		f(e)
	}
}

func (h *harness) opts(services ...config.Service) deploy.Options {
	return deploy.Options{
		Services: services,
		ECS:      h.sim,
		Logs:     func(string) deploy.LogsAPI { return h.sim },
		Region:   sim.Region,
		Health:   h.health,
		Poll:     deploy.PollPolicy{Jitter: -1},
		Clock:    h.clk,
		Reporter: h,
	}
}

// run calls f while moving the fake clock forward whenever the code under
// test waits on a timer, so simulated minutes pass in milliseconds.
func (h *harness) run(ctx context.Context, f func(context.Context, deploy.Options) (deploy.Result, error), o deploy.Options) (deploy.Result, error) {
	h.t.Helper()
	done := make(chan struct{})
	go func() {
		for {
			created := h.clk.TimerCreated()
			if h.clk.Pending() > 0 {
				h.clk.Advance(50 * time.Millisecond)
				runtime.Gosched()
				continue
			}
			select {
			case <-done:
				return
			case <-created:
			}
		}
	}()
	defer close(done)
	type answer struct {
		res deploy.Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		res, err := f(ctx, o)
		ch <- answer{res, err}
	}()
	select {
	case a := <-ch:
		return a.res, a.err
	case <-time.After(20 * time.Second):
		h.t.Fatalf("run did not end; simulated time %s", h.clk.Now().Sub(start))
		return deploy.Result{}, nil
	}
}

// fakeHealth fails for the services in failing and counts calls.
type fakeHealth struct {
	mu      sync.Mutex
	failing map[string]bool
	calls   int
}

func (f *fakeHealth) fail(services ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = map[string]bool{}
	for _, s := range services {
		f.failing[s] = true
	}
}

func (f *fakeHealth) Check(ctx context.Context, service string, h config.Health) ([]healthcheck.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	url := h.BaseURL + h.Endpoints[0].Path
	if f.failing[service] {
		err := failure.New(failure.StageHealth, service, "health.phantom-route", errNotFound{url})
		return []healthcheck.Result{{URL: url, Attempts: 3, StatusCode: 404, Error: "404 Not Found"}}, err
	}
	return []healthcheck.Result{{URL: url, OK: true, Attempts: 1, StatusCode: 200}}, nil
}

func (f *fakeHealth) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type errNotFound struct{ url string }

func (e errNotFound) Error() string { return "GET " + e.url + ": 404 Not Found after 3 attempt(s)" }
