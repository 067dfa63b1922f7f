package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestCheckClassification(t *testing.T) {
	tests := []struct {
		name      string
		steps     []http.HandlerFunc
		endpoint  config.Endpoint
		wantOK    bool
		attempts  int
		status    int
		sentinel  error
		runbookID string
		errHas    string
	}{
		{
			name:     "503 three times then 200 passes on the fourth attempt",
			steps:    append(times(3, status(503)), status(200)),
			wantOK:   true,
			attempts: 4, status: 200,
		},
		{
			name:     "502 504 429 500 are transient",
			steps:    []http.HandlerFunc{status(502), status(504), status(429), status(500), status(204)},
			wantOK:   true,
			attempts: 5, status: 204,
		},
		{
			name:      "404 always is a phantom route after a few attempts",
			steps:     times(1, status(404)),
			attempts:  DefaultNotFoundRetries + 1,
			status:    404,
			sentinel:  ErrPhantomRoute,
			runbookID: runbook.HealthPhantomRoute,
			errHas:    "404 Not Found on 4 of 4 attempt(s); the endpoint list in the config and the service's routes disagree",
		},
		{
			name:      "405 always is a phantom route too",
			steps:     times(1, status(405)),
			attempts:  DefaultNotFoundRetries + 1,
			status:    405,
			sentinel:  ErrPhantomRoute,
			runbookID: runbook.HealthPhantomRoute,
			errHas:    "405 Method Not Allowed",
		},
		{
			name:     "404 twice then 200 passes: old tasks were still answering",
			steps:    append(times(2, status(404)), status(200)),
			wantOK:   true,
			attempts: 3, status: 200,
		},
		{
			name:      "401 fails fast",
			steps:     times(1, body(401, `{"message":"Unauthorized"}`)),
			attempts:  1,
			status:    401,
			sentinel:  ErrAuth,
			runbookID: runbook.HealthAuth,
			errHas:    `401 Unauthorized; body: "{\"message\":\"Unauthorized\"}"; a health endpoint must answer without credentials`,
		},
		{
			name:      "403 fails fast",
			steps:     times(1, status(403)),
			attempts:  1,
			status:    403,
			sentinel:  ErrAuth,
			runbookID: runbook.HealthAuth,
			errHas:    "403 Forbidden",
		},
		{
			name:      "other 4xx fails fast naming the expectation",
			steps:     times(1, body(418, "short and stout")),
			attempts:  1,
			status:    418,
			sentinel:  ErrStatus,
			runbookID: runbook.HealthStatus,
			errHas:    `418 I'm a teapot, expected any 2xx; body: "short and stout"`,
		},
		{
			name:      "200 with the wrong body fails naming the expected text",
			steps:     times(1, body(200, `{"status":"degraded","db":"down"}`)),
			endpoint:  config.Endpoint{ExpectBody: `"status":"ok"`},
			attempts:  1,
			status:    200,
			sentinel:  ErrBodyMismatch,
			runbookID: runbook.HealthBodyMismatch,
			errHas:    `200 OK but the body does not contain "\"status\":\"ok\""; body: "{\"status\":\"degraded\",\"db\":\"down\"}"`,
		},
		{
			name:     "expected body found",
			steps:    times(1, body(200, "all systems ok")),
			endpoint: config.Endpoint{ExpectBody: "ok"},
			wantOK:   true, attempts: 1, status: 200,
		},
		{
			name:     "expected JSON fields match regardless of order and spacing",
			steps:    times(1, body(200, `{ "version": "1.4", "status": "ok", "checks": {"db": "up", "cache": "up"} }`)),
			endpoint: config.Endpoint{ExpectBody: `{"status":"ok","checks":{"db":"up"}}`},
			wantOK:   true, attempts: 1, status: 200,
		},
		{
			name:      "JSON field with another value does not match",
			steps:     times(1, body(200, `{"status": "fail"}`)),
			endpoint:  config.Endpoint{ExpectBody: `{"status":"ok"}`},
			attempts:  1,
			status:    200,
			sentinel:  ErrBodyMismatch,
			runbookID: runbook.HealthBodyMismatch,
		},
		{
			name:      "expect_status is honoured: 200 is not 204",
			steps:     times(1, status(200)),
			endpoint:  config.Endpoint{ExpectStatus: []int{204}},
			attempts:  1,
			status:    200,
			sentinel:  ErrStatus,
			runbookID: runbook.HealthStatus,
			errHas:    "200 OK, expected 204",
		},
		{
			name:     "expect_status with several codes",
			steps:    times(1, status(202)),
			endpoint: config.Endpoint{ExpectStatus: []int{200, 202}},
			wantOK:   true, attempts: 1, status: 202,
		},
		{
			name:     "expect_status can accept a 4xx on purpose",
			steps:    times(1, status(401)),
			endpoint: config.Endpoint{ExpectStatus: []int{401}},
			wantOK:   true, attempts: 1, status: 401,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, script := serve(t, tt.steps...)
			ep := tt.endpoint
			ep.Path = "/healthz"
			start := time.Now()
			res, events, err := one(t, fast(nil), healthOf(srv.URL, 5*time.Second, ep))
			elapsed := time.Since(start)

			if res.OK != tt.wantOK || res.Attempts != tt.attempts || res.StatusCode != tt.status {
				t.Fatalf("result = %+v, want ok=%v attempts=%d status=%d", res, tt.wantOK, tt.attempts, tt.status)
			}
			if got := len(script.requests()); got != tt.attempts {
				t.Errorf("server saw %d requests, want %d", got, tt.attempts)
			}
			// Everything here ends by classification, never by the budget.
			if elapsed > 2500*time.Millisecond {
				t.Errorf("took %s, want well under the 5s budget", elapsed)
			}
			if tt.wantOK {
				if err != nil || res.Error != "" || res.RunbookID != "" {
					t.Fatalf("err = %v, result %+v, want a pass", err, res)
				}
				if f := event.Of[event.Failure](events); len(f) != 0 {
					t.Errorf("Failure events on a pass: %+v", f)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if st, _ := failure.StageOf(err); st != failure.StageHealth || failure.ExitCode(err) != failure.ExitHealth {
				t.Errorf("stage %q exit %d, want health/5", st, failure.ExitCode(err))
			}
			if failure.RunbookIDOf(err) != tt.runbookID || res.RunbookID != tt.runbookID {
				t.Errorf("runbook %q / %q, want %q", failure.RunbookIDOf(err), res.RunbookID, tt.runbookID)
			}
			if !strings.Contains(res.Error, tt.errHas) || !strings.Contains(err.Error(), srv.URL+"/healthz") {
				t.Errorf("error %q\nwant it to contain %q and the URL", res.Error, tt.errHas)
			}
			f := event.Of[event.Failure](events)
			if len(f) != 1 || f[0].RunbookID != tt.runbookID || f[0].Message != res.Error || f[0].Fix == "" || f[0].Stage != failure.StageHealth {
				t.Errorf("Failure events = %+v", f)
			}
		})
	}
}

func TestPhantomRouteFailsWellBeforeTheBudget(t *testing.T) {
	srv, _ := serve(t, status(404))
	opts := fast(nil)
	opts.MinBackoff, opts.MaxBackoff = 20*time.Millisecond, 40*time.Millisecond
	start := time.Now()
	res, _, err := one(t, opts, healthOf(srv.URL, 10*time.Second))
	if !errors.Is(err, ErrPhantomRoute) || res.Attempts != 4 {
		t.Fatalf("err %v attempts %d", err, res.Attempts)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("phantom route took %s of a 10s budget", el)
	}
}

func TestSlowAttemptTimesOutThenPasses(t *testing.T) {
	srv, _ := serve(t, stall(5*time.Second), status(200))
	opts := fast(nil)
	opts.AttemptTimeout = 100 * time.Millisecond
	start := time.Now()
	res, events, err := one(t, opts, healthOf(srv.URL, 5*time.Second))
	if err != nil || !res.OK || res.Attempts != 2 {
		t.Fatalf("err %v result %+v, want pass on attempt 2", err, res)
	}
	if el := time.Since(start); el < 100*time.Millisecond || el > 2500*time.Millisecond {
		t.Errorf("elapsed %s, want about one attempt timeout, not the 5s stall", el)
	}
	att := event.Of[event.HealthAttempt](events)
	if len(att) != 2 || !strings.Contains(att[0].Err, "no answer within the 100ms attempt timeout") || att[1].Err != "" {
		t.Fatalf("attempts = %+v", att)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name          string
		seconds       int
		maxRetryAfter time.Duration
		atLeast       time.Duration
		atMost        time.Duration
	}{
		{"waits what the server asks", 1, 0, time.Second, 3 * time.Second},
		{"capped", 120, 50 * time.Millisecond, 50 * time.Millisecond, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, script := serve(t, retryAfter(429, tt.seconds), status(200))
			opts := fast(nil)
			opts.MaxRetryAfter = tt.maxRetryAfter
			res, _, err := one(t, opts, healthOf(srv.URL, 5*time.Second))
			if err != nil || res.Attempts != 2 {
				t.Fatalf("err %v result %+v", err, res)
			}
			reqs := script.requests()
			gap := reqs[1].at.Sub(reqs[0].at)
			if gap < tt.atLeast || gap > tt.atMost {
				t.Fatalf("waited %s between attempts, want %s..%s", gap, tt.atLeast, tt.atMost)
			}
		})
	}
}

func TestBudgetExhausted(t *testing.T) {
	srv, _ := serve(t, status(503))
	opts := fast(nil)
	opts.MinBackoff, opts.MaxBackoff = 10*time.Millisecond, 30*time.Millisecond
	start := time.Now()
	res, events, err := one(t, opts, healthOf(srv.URL, 300*time.Millisecond))
	el := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || failure.RunbookIDOf(err) != runbook.HealthUnavailable {
		t.Fatalf("err = %v, want the budget exhausted", err)
	}
	if el < 300*time.Millisecond || el > 3*time.Second {
		t.Errorf("elapsed %s, want about the 300ms budget", el)
	}
	if res.Attempts < 3 || res.StatusCode != 503 {
		t.Fatalf("result %+v, want several attempts and the last status", res)
	}
	want := fmt.Sprintf("(300ms): %d attempt(s) in", res.Attempts)
	if !strings.Contains(res.Error, want) || !strings.Contains(res.Error, "last: 503 Service Unavailable") {
		t.Fatalf("error %q, want %q and the last status", res.Error, want)
	}
	if got := len(event.Of[event.HealthAttempt](events)); got != res.Attempts {
		t.Errorf("%d HealthAttempt events for %d attempts", got, res.Attempts)
	}
}

func TestBudgetExhaustedBeforeAnyAnswer(t *testing.T) {
	srv, _ := serve(t, stall(5*time.Second))
	res, _, err := one(t, fast(nil), healthOf(srv.URL, 100*time.Millisecond))
	if !errors.Is(err, ErrUnavailable) || res.Attempts != 1 || res.StatusCode != 0 {
		t.Fatalf("err %v result %+v", err, res)
	}
	if !strings.Contains(res.Error, "no attempt finished within the budget") {
		t.Fatalf("error %q", res.Error)
	}
}

func TestCancelMidBackoffReturnsAtOnce(t *testing.T) {
	srv, _ := serve(t, status(503))
	ctx, cancel := context.WithCancel(ctxFor(t))
	var canceledAt time.Time
	rec := &event.Recorder{}
	opts := fast(event.Tee{rec, event.Func(func(e event.Event) {
		if _, ok := e.(event.HealthAttempt); ok && canceledAt.IsZero() {
			canceledAt = time.Now() // Ctrl-C while the checker waits 10s to retry
			cancel()
		}
	})})
	opts.MinBackoff, opts.MaxBackoff = 10*time.Second, 10*time.Second

	res, err := New(opts).Check(ctx, "tech-gateway", healthOf(srv.URL, time.Minute))
	if wait := time.Since(canceledAt); wait > 5*time.Second { // the backoff was 10s
		t.Fatalf("returned %s after cancel", wait)
	}
	if !errors.Is(err, context.Canceled) || failure.ExitCode(err) != failure.ExitInterrupted {
		t.Fatalf("err = %v (exit %d), want interrupted", err, failure.ExitCode(err))
	}
	if len(res) != 1 || res[0].OK || res[0].Attempts != 1 || res[0].StatusCode != 503 {
		t.Fatalf("results %+v", res)
	}
	if f := event.Of[event.Failure](rec.Events()); len(f) != 0 {
		t.Errorf("an interrupt is not a health failure: %+v", f)
	}
}

func TestConnectionRefusedThenListenerAppears(t *testing.T) {
	addr := freeAddr(t)
	up := make(chan struct{})
	var once bool
	rec := &event.Recorder{}
	opts := fast(event.Tee{rec, event.Func(func(e event.Event) {
		if a, ok := e.(event.HealthAttempt); ok && a.Err == "connection refused" && !once {
			once = true
			close(up)
		}
	})})
	go func() {
		<-up
		listenOn(t, addr, status(200))
	}()
	res, err := New(opts).Check(ctxFor(t), "tech-gateway", healthOf("http://"+addr, 5*time.Second))
	if err != nil || !res[0].OK || res[0].Attempts < 2 {
		t.Fatalf("err %v results %+v", err, res)
	}
	att := event.Of[event.HealthAttempt](rec.Events())
	if att[0].Err != "connection refused" || att[len(att)-1].StatusCode != 200 {
		t.Fatalf("attempts %+v", att)
	}
}

func TestRedirects(t *testing.T) {
	tests := []struct {
		name    string
		hops    int
		wantOK  bool
		errHave string
	}{
		{"five redirects are followed", 5, true, ""},
		{"six are too many", 6, false, "too many redirects: stopped after 5 redirects (next: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
				var n int
				fmt.Sscan(r.PathValue("n"), &n)
				next := fmt.Sprintf("/hop/%d", n-1)
				if n == 1 {
					next = "/final"
				}
				http.Redirect(w, r, next, http.StatusFound)
			})
			mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) {})
			srv := listenOn(t, "127.0.0.1:0", mux.ServeHTTP)
			ep := config.Endpoint{Path: fmt.Sprintf("/hop/%d", tt.hops)}
			res, _, err := one(t, fast(nil), healthOf(srv, 5*time.Second, ep))
			if res.OK != tt.wantOK || res.Attempts != 1 {
				t.Fatalf("err %v result %+v", err, res)
			}
			if tt.wantOK {
				if res.FinalURL != srv+"/final" || res.URL != srv+ep.Path {
					t.Fatalf("URL %q final %q", res.URL, res.FinalURL)
				}
				return
			}
			if !errors.Is(err, ErrRedirects) || !strings.Contains(res.Error, tt.errHave) || failure.RunbookIDOf(err) != runbook.HealthRedirects {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestNoRedirectNoFinalURL(t *testing.T) {
	srv, _ := serve(t, status(200))
	res, _, _ := one(t, fast(nil), healthOf(srv.URL, time.Second))
	if res.FinalURL != "" {
		t.Fatalf("FinalURL = %q without a redirect", res.FinalURL)
	}
}
