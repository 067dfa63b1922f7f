package preflight

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// TestBaselineAgreesWithHealthcheck runs each server behaviour through the
// two ways omdeploy GETs a health endpoint, against the same real loopback
// server: healthcheck's retrying Check, and preflight's baseline (the
// health.contract check, one probe per run), and compares what they say.
//
// What "the same verdict" means for a one-shot probe and a retrying check:
// the checker makes attempts 1..n and classifies each one (its HealthAttempt
// events); the baseline classifies one answer. So the baseline is run n
// times against a server replaying the same answers, and for the k-th
// answer it must say what the checker said of its k-th attempt: pass
// exactly when the attempt passed (warn otherwise: preflight never fails on
// health), the same redacted URL, and the same description ("503 Service
// Unavailable", "connection refused", "200 OK but the body does not
// contain …"). Whether to try again (a 503 until the budget, a 404 three
// more times before calling it a phantom route) is the checker's retry
// policy, which a probe deliberately lacks; so the overall verdicts agree in
// this: the checker's result passes exactly when the baseline's verdict on
// the answer the checker stopped at is a pass.
func TestBaselineAgreesWithHealthcheck(t *testing.T) {
	const token = "s3cr3t"
	tests := []struct {
		name     string
		endpoint config.Endpoint
		answers  []http.HandlerFunc // the k-th request gets answers[min(k, len-1)]
		tls      bool               // served with a certificate the client does not trust
		late     bool               // nothing listens until the first GET was refused
		attempts int                // the checker's
		ok       bool               // the checker's result
	}{
		{
			name:     "503 three times then 200",
			answers:  []http.HandlerFunc{code(503), code(503), code(503), code(200)},
			attempts: 4, ok: true,
		},
		{
			name:     "404 always",
			answers:  []http.HandlerFunc{code(404)},
			attempts: healthcheck.DefaultNotFoundRetries + 1,
		},
		{
			name:     "wrong body",
			endpoint: config.Endpoint{ExpectBody: "healthy"},
			answers:  []http.HandlerFunc{text(200, `{"status":"degraded"}`)},
			attempts: 1,
		},
		{
			name:    "TLS certificate not trusted",
			answers: []http.HandlerFunc{code(200)},
			tls:     true, attempts: 1,
		},
		{
			name:    "refused then listening",
			answers: []http.HandlerFunc{code(200)},
			late:    true, attempts: 2, ok: true,
		},
		{
			name:     "expect_body as JSON, body spaced differently",
			endpoint: config.Endpoint{ExpectBody: `{"status":"ok"}`},
			answers:  []http.HandlerFunc{text(200, `{"status": "ok"}`)},
			attempts: 1, ok: true,
		},
		{
			name:     "expect_body as JSON, the same bytes",
			endpoint: config.Endpoint{ExpectBody: `{"status":"ok"}`},
			answers:  []http.HandlerFunc{text(200, `{"status":"ok"}`)},
			attempts: 1, ok: true,
		},
		{
			name:     "expect_body as JSON, another value",
			endpoint: config.Endpoint{ExpectBody: `{"status":"ok"}`},
			answers:  []http.HandlerFunc{text(200, `{"status": "down"}`)},
			attempts: 1,
		},
		{
			name:     "token in the query, passing",
			endpoint: config.Endpoint{Path: "/health?token=" + token},
			answers:  []http.HandlerFunc{code(200)},
			attempts: 1, ok: true,
		},
		{
			name:     "token in the query, echoed by a 503 then a 401",
			endpoint: config.Endpoint{Path: "/health?token=" + token},
			answers:  []http.HandlerFunc{echo(503), echo(401)},
			attempts: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := tt.endpoint
			if ep.Path == "" {
				ep.Path = "/healthz"
			}
			addr := freeLoopback(t)
			scheme := "http"
			if tt.tls {
				scheme = "https"
			}
			base := scheme + "://" + addr
			start := func() *httptest.Server { return serveOn(t, addr, tt.tls, tt.answers) }
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			// The retrying checker, with millisecond backoffs. Both paths
			// get a generous attempt timeout: the baseline cannot retry, and
			// one slow TLS handshake on a loaded machine must not decide.
			var srv *httptest.Server
			if !tt.late {
				srv = start()
			}
			rec := &event.Recorder{}
			var once sync.Once
			onRefused := event.Func(func(e event.Event) {
				if a, ok := e.(event.HealthAttempt); ok && tt.late && a.Err == "connection refused" {
					once.Do(func() { srv = start() }) // before the checker's next attempt
				}
			})
			checker := healthcheck.New(healthcheck.Options{
				AttemptTimeout: equivAttemptTimeout, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
				Reporter: event.Tee{rec, onRefused},
			})
			results, checkErr := checker.Check(ctx, testService, config.Health{BaseURL: base, Endpoints: []config.Endpoint{ep}, Timeout: 5 * time.Second})
			attempts := event.Of[event.HealthAttempt](rec.Events())
			if srv == nil {
				t.Fatal("the server never started")
			}
			srv.Close() // the baseline gets a fresh server replaying the same answers

			if len(results) != 1 || results[0].OK != tt.ok || results[0].Attempts != tt.attempts || len(attempts) != tt.attempts {
				t.Fatalf("checker: results %+v, %d attempt events (err %v), want ok=%v in %d attempt(s)", results, len(attempts), checkErr, tt.ok, tt.attempts)
			}

			// Preflight's baseline, once per answer the checker saw.
			r := newRunner(Options{})
			r.health = healthcheck.New(healthcheck.Options{AttemptTimeout: equivAttemptTimeout})
			svc := config.Service{Name: testService, Health: &config.Health{BaseURL: base, Endpoints: []config.Endpoint{ep}}}
			srv = nil
			if !tt.late {
				srv = start()
			}
			var checks []Check
			for range attempts {
				checks = append(checks, r.checkHealth(ctx, svc))
				if srv == nil {
					srv = start() // the first GET was refused
				}
			}
			if srv == nil {
				t.Fatal("the server never started")
			}
			srv.Close()

			for k, a := range attempts {
				c := checks[k]
				if a.Err == "" {
					want := fmt.Sprintf("baseline GET before the deploy: %s %d in ", a.URL, a.StatusCode)
					if c.Status != event.StatusPass || !strings.HasPrefix(c.Message, want) {
						t.Errorf("answer %d: checker passed it (%d at %s), baseline says %s %q", k+1, a.StatusCode, a.URL, c.Status, c.Message)
					}
					continue
				}
				want := "baseline GET before the deploy: " + a.URL + ": " + a.Err
				if c.Status != event.StatusWarn || c.Message != want || c.RunbookID != runbook.HealthBaseline || !strings.Contains(c.Fix, a.URL) {
					t.Errorf("answer %d: checker saw %q at %s;\nbaseline says %s %q (runbook %q, fix %q)\nwant warn %q", k+1, a.Err, a.URL, c.Status, c.Message, c.RunbookID, c.Fix, want)
				}
			}
			if last := checks[len(checks)-1]; (last.Status == event.StatusPass) != results[0].OK {
				t.Errorf("checker result ok=%v, baseline on the answer it stopped at: %s", results[0].OK, last.Status)
			}

			// Neither says the token in clear, wherever it shows the URL or
			// what the server echoed.
			all := fmt.Sprintf("%+v %v %+v %+v", results, checkErr, rec.Events(), checks)
			if strings.Contains(all, token) {
				t.Errorf("%q in clear: %s", token, all)
			}
			if strings.Contains(ep.Path, "token=") && (!strings.Contains(results[0].URL, "token=xxxxx") || !strings.Contains(checks[0].Message, "token=xxxxx")) {
				t.Errorf("URL not redacted the same: checker %q, baseline %q", results[0].URL, checks[0].Message)
			}
		})
	}
}

// equivAttemptTimeout replaces baselineTimeout in the comparison, for both
// paths alike.
const equivAttemptTimeout = 10 * time.Second

func code(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }
}

func text(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// echo answers status with the request URI in the body, as some error pages
// do: a secret in the query comes back in the body.
func echo(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprintf(w, "no access for %s", r.URL.RequestURI())
	}
}

// freeLoopback returns a 127.0.0.1 address nothing listens on (yet).
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// serveOn serves answers in order, repeating the last, on addr; with tls,
// under httptest's certificate, which no client here trusts. It may run on
// the checker's goroutine, so it reports with Errorf.
func serveOn(t *testing.T, addr string, tls bool, answers []http.HandlerFunc) *httptest.Server {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("listen on %s: %v", addr, err)
		return nil
	}
	var (
		mu sync.Mutex
		n  int
	)
	srv := &httptest.Server{Listener: l, Config: &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			h := answers[min(n, len(answers)-1)]
			n++
			mu.Unlock()
			h(w, r)
		}),
		// The rejected handshakes are the point of the TLS case.
		ErrorLog: log.New(io.Discard, "", 0),
	}}
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}
