package healthcheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(status(200))
	t.Cleanup(srv.Close)
	plain, _ := serve(t, status(200))
	trusted := x509.NewCertPool()
	trusted.AddCert(srv.Certificate())

	tests := []struct {
		name    string
		base    string
		tls     *tls.Config
		wantOK  bool
		errHave string
	}{
		{"self-signed fails fast naming the certificate problem", srv.URL, nil, false, "TLS certificate problem: x509: certificate signed by unknown authority"},
		{"a trusted private CA passes", srv.URL, &tls.Config{RootCAs: trusted}, true, ""},
		{"https against a plain HTTP port", "https://" + strings.TrimPrefix(plain.URL, "http://"), nil, false, "the server does not speak TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fast(nil)
			opts.TLSConfig = tt.tls
			start := time.Now()
			res, _, err := one(t, opts, healthOf(tt.base, 5*time.Second))
			if res.OK != tt.wantOK || res.Attempts != 1 {
				t.Fatalf("err %v result %+v, want ok=%v in one attempt", err, res, tt.wantOK)
			}
			if tt.wantOK {
				return
			}
			if !errors.Is(err, ErrTLS) || failure.RunbookIDOf(err) != runbook.HealthTLS || !strings.Contains(res.Error, tt.errHave) {
				t.Fatalf("err = %v, want %q", err, tt.errHave)
			}
			// Failing fast is one attempt; the time only tells it from
			// waiting out the 5s budget, with room for a loaded machine.
			if el := time.Since(start); el > 2500*time.Millisecond {
				t.Errorf("took %s, want fail fast, well within the 5s budget", el)
			}
		})
	}
}

// dnsMiss fails every dial the way the resolver does for an unknown name.
func dnsMiss(_ context.Context, _, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestDNSNotFoundRetriedBrieflyThenNamesTheHost(t *testing.T) {
	rec := &event.Recorder{}
	opts := fast(rec)
	opts.DialContext = dnsMiss
	res, err := New(opts).Check(ctxFor(t), "tech-gateway", healthOf("https://api.nowhere.example", 5*time.Second))
	if !errors.Is(err, ErrDNSNotFound) || failure.RunbookIDOf(err) != runbook.HealthDNS {
		t.Fatalf("err = %v", err)
	}
	if res[0].Attempts != DefaultDNSRetries+1 || !strings.Contains(res[0].Error, `no such host "api.nowhere.example", after 4 attempt(s)`) {
		t.Fatalf("result %+v", res[0])
	}
	f := event.Of[event.Failure](rec.Events())
	if len(f) != 1 || !strings.Contains(f[0].Fix, "dig +short api.nowhere.example") {
		t.Fatalf("the fix should name the host: %+v", f)
	}
}

func TestDNSNotFoundWithTheRealResolver(t *testing.T) {
	if _, err := net.LookupHost("omdeploy-test.invalid"); !isNotFound(err) {
		t.Skipf("this resolver does not answer NXDOMAIN for .invalid (%v)", err)
	}
	opts := fast(nil)
	opts.DNSRetries = -1
	res, _, err := one(t, opts, healthOf("http://omdeploy-test.invalid", 5*time.Second))
	if !errors.Is(err, ErrDNSNotFound) || res.Attempts != 1 || !strings.Contains(res.Error, "omdeploy-test.invalid") {
		t.Fatalf("err %v result %+v", err, res)
	}
}

func isNotFound(err error) bool {
	var d *net.DNSError
	return errors.As(err, &d) && d.IsNotFound
}

func TestCredentialsAreRedacted(t *testing.T) {
	// The server echoes what it got, as some error pages do.
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "denied %s:%s for %s", u, p, r.URL.RequestURI())
	})
	const pass, token = "hunter2-pass", "tok-0123456789"
	base := strings.Replace(srv.URL, "http://", "http://deployer:"+pass+"@", 1)
	refused := "http://deployer:" + pass + "@" + freeAddr(t)

	for _, tc := range []struct{ name, base, budgetErr string }{
		{"in a response", base, ""},
		{"in a transport error", refused, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &event.Recorder{}
			opts := fast(rec)
			var logs bytes.Buffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			h := healthOf(tc.base, 200*time.Millisecond)
			h.Endpoints[0].Path = "/healthz?token=" + token + "&verbose=1"
			res, err := New(opts).Check(ctxFor(t), "tech-gateway", h)
			if err == nil {
				t.Fatal("want a failure")
			}
			all := fmt.Sprintf("%v %+v %+v %s", err, res, rec.Events(), logs.String())
			for _, secret := range []string{pass, token} {
				if strings.Contains(all, secret) {
					t.Fatalf("%q leaked: %s", secret, all)
				}
			}
			if !strings.Contains(res[0].URL, "deployer:xxxxx@") || !strings.Contains(res[0].URL, "token=xxxxx") || !strings.Contains(res[0].URL, "verbose=1") {
				t.Fatalf("URL %q is not redacted as expected", res[0].URL)
			}
			if !strings.Contains(res[0].Error, tc.budgetErr) {
				t.Fatalf("error %q lost its cause %q", res[0].Error, tc.budgetErr)
			}
		})
	}
}

func TestRequestIDIsNewPerAttemptAndLogged(t *testing.T) {
	srv, script := serve(t, status(503), status(502), status(200))
	var logs bytes.Buffer
	rec := &event.Recorder{}
	opts := fast(rec)
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := New(opts).Check(ctxFor(t), "tech-gateway", healthOf(srv.URL, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	reqs := script.requests()
	att := event.Of[event.HealthAttempt](rec.Events())
	if len(reqs) != 3 || len(att) != 3 {
		t.Fatalf("%d requests, %d events", len(reqs), len(att))
	}
	ids := map[string]bool{}
	for i, r := range reqs {
		if len(r.requestID) != 36 || ids[r.requestID] {
			t.Fatalf("request %d: X-Request-Id %q is empty, malformed or repeated", i, r.requestID)
		}
		ids[r.requestID] = true
		if att[i].RequestID != r.requestID || att[i].Attempt != i+1 {
			t.Errorf("event %d = %+v, server saw %q", i, att[i], r.requestID)
		}
		line := fmt.Sprintf("request_id=%s status=%d", r.requestID, att[i].StatusCode)
		if !strings.Contains(logs.String(), line) {
			t.Errorf("debug log lacks %q:\n%s", line, logs.String())
		}
	}
}

func TestBodyShownAtMost200Bytes(t *testing.T) {
	long := strings.Repeat("A", 3000)
	srv, _ := serve(t, body(418, long))
	res, _, err := one(t, fast(nil), healthOf(srv.URL, time.Second))
	if !errors.Is(err, ErrStatus) {
		t.Fatal(err)
	}
	if n := strings.Count(res.Error, "A"); n != excerptLimit {
		t.Fatalf("error shows %d body bytes, want %d", n, excerptLimit)
	}
	if !strings.Contains(res.Error, `" (truncated)`) {
		t.Fatalf("error does not say the body was cut: %q", res.Error)
	}
}

func TestEvents(t *testing.T) {
	srv, _ := serve(t, status(503), status(200))
	rec := &event.Recorder{}
	h := healthOf(srv.URL, 5*time.Second)
	h.Endpoints = append(h.Endpoints, h.Endpoints[0])
	h.Endpoints[1].Path = "/ready"
	if _, err := New(fast(rec)).Check(ctxFor(t), "tech-gateway", h); err != nil {
		t.Fatal(err)
	}
	ev := rec.Events()
	if st, ok := ev[0].(event.StageStarted); !ok || st.Stage != failure.StageHealth || st.Service != "tech-gateway" {
		t.Fatalf("first event %+v, want StageStarted health", ev[0])
	}
	att := event.Of[event.HealthAttempt](ev)
	if len(att) != 3 {
		t.Fatalf("%d attempts, want 3 (503+200 on one endpoint, 200 on the other)", len(att))
	}
	for _, a := range att {
		if a.Service != "tech-gateway" || a.URL == "" || a.RequestID == "" || a.Duration <= 0 {
			t.Errorf("incomplete attempt event %+v", a)
		}
		if (a.StatusCode == 503) != (a.Err == "503 Service Unavailable") {
			t.Errorf("attempt %+v: Err should say what a failed attempt saw", a)
		}
	}
	results := event.Of[event.HealthResult](ev)
	if len(results) != 2 || !results[0].OK || !results[1].OK {
		t.Fatalf("results %+v", results)
	}
}
