package deploy_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
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

// maxRun is the simulated time after which a run is cut off as stuck: a
// run that never ends would otherwise poll the bubble's clock forever.
const maxRun = 6 * time.Hour

// harness is a simulated account, with the events of the run recorded and a
// health checker the test controls. The simulator and the engine run on the
// real clock, which inside a synctest bubble is fake: time moves only when
// every goroutine waits, so simulated minutes pass in microseconds and
// nothing runs ahead of the code that reads the clock.
type harness struct {
	t      *testing.T
	start  time.Time // when the harness was built, on the bubble's clock
	sim    *sim.Sim
	rec    *event.Recorder
	health *fakeHealth

	mu    sync.Mutex
	hooks []func(event.Event)
}

// simTest runs f in a synctest bubble with a fresh harness built inside it.
func simTest(t *testing.T, f func(t *testing.T, h *harness)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		f(t, &harness{t: t, start: time.Now(), sim: sim.New(clock.Real{}), rec: &event.Recorder{}, health: &fakeHealth{}})
	})
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
		Reporter: h,
	}
}

// run calls f, interrupting it (and failing the test) if it has not ended
// after maxRun of simulated time.
func (h *harness) run(ctx context.Context, f func(context.Context, deploy.Options) (deploy.Result, error), o deploy.Options) (deploy.Result, error) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stuck := time.AfterFunc(maxRun, func() {
		h.t.Errorf("run did not end within %s of simulated time", maxRun)
		cancel()
	})
	defer stuck.Stop()
	return f(ctx, o)
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
