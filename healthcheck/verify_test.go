package healthcheck

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// The runbook's tech-gateway: three endpoints checked, two exist.
func TestWrongEndpointListIsNamedForTheService(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/api/tech/health", func(http.ResponseWriter, *http.Request) {})
	srv := listenOn(t, "127.0.0.1:0", mux.ServeHTTP)
	h := healthOf(srv, 5*time.Second, config.Endpoint{Path: "/healthz"}, config.Endpoint{Path: "/api/health"}, config.Endpoint{Path: "/api/tech/health"})

	res, err := New(fast(nil)).Check(ctxFor(t), "tech-gateway", h)
	if len(res) != 3 || !res[0].OK || res[1].OK || !res[2].OK {
		t.Fatalf("results %+v, want results in endpoint order with only /api/health failing", res)
	}
	if res[1].RunbookID != runbook.HealthPhantomRoute || failure.RunbookIDOf(err) != runbook.HealthEndpointList {
		t.Fatalf("endpoint runbook %q, service runbook %q", res[1].RunbookID, failure.RunbookIDOf(err))
	}
	if !errors.Is(err, ErrPhantomRoute) || !strings.Contains(err.Error(), "/api/health") || strings.Contains(err.Error(), "/healthz") {
		t.Fatalf("err = %v, want only the failing endpoint named", err)
	}
}

func TestEndpointsAndServicesRunConcurrently(t *testing.T) {
	// Under the 1s attempt timeout; done one after another, six would
	// take 3.6s.
	const delay = 600 * time.Millisecond
	srv, _ := serve(t, stall(delay))
	eps := []config.Endpoint{{Path: "/a"}, {Path: "/b"}, {Path: "/c"}}
	services := []config.Service{
		{Name: "one", Health: &config.Health{BaseURL: srv.URL, Endpoints: eps, Timeout: 5 * time.Second}},
		{Name: "two", Health: &config.Health{BaseURL: srv.URL, Endpoints: eps, Timeout: 5 * time.Second}},
	}
	start := time.Now()
	out, err := Verify(ctxFor(t), New(fast(nil)), services, "")
	if err != nil || len(out["one"]) != 3 || len(out["two"]) != 3 {
		t.Fatalf("err %v out %+v", err, out)
	}
	if el := time.Since(start); el > 3*delay {
		t.Fatalf("6 endpoints of %s each took %s: not concurrent", delay, el)
	}
}

func TestVerify(t *testing.T) {
	good, _ := serve(t, status(200))
	bad, _ := serve(t, status(404))
	dead := "http://" + freeAddr(t)
	svc := func(name, base string) config.Service {
		return config.Service{Name: name, Service: name, Health: &config.Health{BaseURL: base, Endpoints: []config.Endpoint{{Path: "/healthz"}}, Timeout: 2 * time.Second}}
	}
	bare := config.Service{Name: "worker", Service: "worker"}

	t.Run("fails the failing service, skips the one without endpoints", func(t *testing.T) {
		rec := &event.Recorder{}
		out, err := Verify(ctxFor(t), New(fast(rec)), []config.Service{svc("api", good.URL), bare, svc("admin", bad.URL)}, "")
		if _, ok := out["worker"]; ok || !out["api"][0].OK || out["admin"][0].OK {
			t.Fatalf("out %+v", out)
		}
		fes := failure.All(err)
		if len(fes) != 1 || fes[0].Service != "admin" || fes[0].Stage != failure.StageHealth || failure.ExitCode(err) != failure.ExitHealth {
			t.Fatalf("err = %v", err)
		}
		w := event.Of[event.Warning](rec.Events())
		if len(w) != 1 || w[0].Service != "worker" || !strings.Contains(w[0].Message, "no health endpoints declared") {
			t.Fatalf("warnings %+v", w)
		}
		if st := event.Of[event.StageStarted](rec.Events()); len(st) != 2 {
			t.Errorf("StageStarted %+v, want one per checked service", st)
		}
	})
	t.Run("base URL override replaces base_url", func(t *testing.T) {
		out, err := Verify(ctxFor(t), New(fast(nil)), []config.Service{svc("api", dead), bare}, good.URL+"/")
		if err != nil || out["api"][0].URL != good.URL+"/healthz" || !out["api"][0].OK {
			t.Fatalf("err %v out %+v", err, out)
		}
	})
	t.Run("an invalid override is a usage error", func(t *testing.T) {
		_, err := Verify(ctxFor(t), New(fast(nil)), []config.Service{svc("api", good.URL)}, "staging.example.com")
		if failure.ExitCode(err) != failure.ExitUsage || !strings.Contains(err.Error(), "--base-url") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("all passing is nil", func(t *testing.T) {
		if _, err := Verify(ctxFor(t), New(fast(nil)), []config.Service{svc("api", good.URL), svc("web", good.URL)}, ""); err != nil {
			t.Fatal(err)
		}
	})
}
