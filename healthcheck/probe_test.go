package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
)

func TestProbe(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(status(200))
	t.Cleanup(tlsSrv.Close)
	refused := "http://" + freeAddr(t)
	var dnsDials atomic.Int32
	countedMiss := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dnsDials.Add(1)
		return dnsMiss(ctx, network, addr)
	}

	tests := []struct {
		name     string
		steps    []http.HandlerFunc // nil: base is given
		base     string
		endpoint config.Endpoint
		opts     func(*Options)
		want     Class
		status   int
		detail   string // contained in Detail
	}{
		{name: "200 passes", steps: times(1, status(200)), want: ClassPass, status: 200, detail: "200 OK"},
		{name: "503 is not retried", steps: []http.HandlerFunc{status(503), status(200)}, want: ClassTransient, status: 503, detail: "503 Service Unavailable"},
		{name: "404 is not retried", steps: []http.HandlerFunc{status(404), status(200)}, want: ClassNotFound, status: 404, detail: "404 Not Found"},
		{name: "401 is auth", steps: times(1, body(401, "who?")), want: ClassAuth, status: 401, detail: `401 Unauthorized; body: "who?"`},
		{name: "418 is an unexpected status", steps: times(1, status(418)), want: ClassStatus, status: 418, detail: "418 I'm a teapot, expected any 2xx"},
		{
			name: "wrong body", steps: times(1, body(200, `{"status":"degraded"}`)), endpoint: config.Endpoint{ExpectBody: "healthy"},
			want: ClassBody, status: 200, detail: `200 OK but the body does not contain "healthy"; body: "{\"status\":\"degraded\"}"`,
		},
		{
			name: "expect_body as JSON matches other spacing", steps: times(1, body(200, `{ "status": "ok" }`)), endpoint: config.Endpoint{ExpectBody: `{"status":"ok"}`},
			want: ClassPass, status: 200,
		},
		{name: "untrusted certificate", base: tlsSrv.URL, want: ClassTLS, detail: "x509: certificate signed by unknown authority"},
		{name: "connection refused", base: refused, want: ClassTransient, detail: "connection refused"},
		{name: "DNS miss is not retried", base: "http://api.nowhere.example", opts: func(o *Options) { o.DialContext = countedMiss }, want: ClassDNS, detail: `no such host "api.nowhere.example"`},
		{
			name: "slow answer is cut at the attempt timeout", steps: times(1, stall(5*time.Second)), opts: func(o *Options) { o.AttemptTimeout = 100 * time.Millisecond },
			want: ClassTransient, detail: "no answer within the 100ms attempt timeout",
		},
		{name: "unparsable path makes no request", base: "http://127.0.0.1:1", endpoint: config.Endpoint{Path: "/%zz"}, want: ClassInvalid, detail: "invalid URL escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			var script *scripted
			if tt.steps != nil {
				var srv *httptest.Server
				srv, script = serve(t, tt.steps...)
				base = srv.URL
			}
			ep := tt.endpoint
			if ep.Path == "" {
				ep.Path = "/healthz"
			}
			rec := &event.Recorder{}
			opts := fast(rec)
			// Without retries one slow TLS handshake on a loaded machine
			// would be the verdict; only the stall case wants a timeout.
			opts.AttemptTimeout = 10 * time.Second
			if tt.opts != nil {
				tt.opts(&opts)
			}
			got := New(opts).Probe(ctxFor(t), base, ep)

			if got.Class != tt.want || got.StatusCode != tt.status || !strings.Contains(got.Detail, tt.detail) {
				t.Fatalf("Probe = %+v, want class %s status %d detail containing %q", got, tt.want, tt.status, tt.detail)
			}
			if got.OK() != (tt.want == ClassPass) {
				t.Errorf("OK() = %v for class %s", got.OK(), got.Class)
			}
			if tt.want != ClassInvalid && got.URL != base+ep.Path {
				t.Errorf("URL = %q, want %q", got.URL, base+ep.Path)
			}
			if script != nil {
				reqs := script.requests()
				if len(reqs) != 1 || reqs[0].requestID != got.RequestID {
					t.Errorf("server saw %+v, want exactly one request with ID %q", reqs, got.RequestID)
				}
			}
			if tt.want == ClassDNS && dnsDials.Load() != 1 {
				t.Errorf("%d dials, want one", dnsDials.Load())
			}
			if ev := rec.Events(); len(ev) != 0 {
				t.Errorf("Probe reported %+v, want no events", ev)
			}
		})
	}
}

func TestProbeRedactsTheURLAndEchoedSecrets(t *testing.T) {
	const token = "s3cr3t-token"
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "denied %s", r.URL.RequestURI())
	})
	opts := fast(nil)
	opts.AttemptTimeout = 10 * time.Second
	got := New(opts).Probe(ctxFor(t), srv.URL, config.Endpoint{Path: "/healthz?token=" + token})
	if got.Class != ClassAuth || strings.Contains(fmt.Sprintf("%+v", got), token) {
		t.Fatalf("Probe = %+v, want auth with %q masked", got, token)
	}
	if got.URL != srv.URL+"/healthz?token=xxxxx" {
		t.Fatalf("URL = %q", got.URL)
	}
}

func TestProbeEndsWithItsContext(t *testing.T) {
	srv, _ := serve(t, stall(5*time.Second))
	ctx, cancel := context.WithTimeout(ctxFor(t), 50*time.Millisecond)
	defer cancel()
	got := New(fast(nil)).Probe(ctx, srv.URL, config.Endpoint{Path: "/healthz"})
	if got.Class != ClassInterrupted || got.Detail != context.DeadlineExceeded.Error() {
		t.Fatalf("Probe = %+v, want interrupted by the deadline", got)
	}
}
