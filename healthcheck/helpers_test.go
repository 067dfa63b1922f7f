package healthcheck

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
)

// scripted serves steps in order, repeating the last one, and remembers
// every request it got.
type scripted struct {
	mu    sync.Mutex
	steps []http.HandlerFunc
	reqs  []seen
}

type seen struct {
	at        time.Time
	path      string
	requestID string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, seen{at: time.Now(), path: r.URL.Path, requestID: r.Header.Get(RequestIDHeader)})
	step := s.steps[min(n, len(s.steps)-1)]
	s.mu.Unlock()
	step(w, r)
}

func (s *scripted) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// serve starts a loopback server playing steps.
func serve(t *testing.T, steps ...http.HandlerFunc) (*httptest.Server, *scripted) {
	t.Helper()
	s := &scripted{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

func body(code int, text string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(text))
	}
}

func retryAfter(code, seconds int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		w.WriteHeader(code)
	}
}

// stall answers only after d or when the client gives up.
func stall(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	}
}

// times repeats a step n times, for readable scripts.
func times(n int, h http.HandlerFunc) []http.HandlerFunc {
	out := make([]http.HandlerFunc, n)
	for i := range out {
		out[i] = h
	}
	return out
}

// fast are options with millisecond backoffs.
func fast(rep event.Reporter) Options {
	return Options{
		AttemptTimeout: time.Second,
		MinBackoff:     time.Millisecond,
		MaxBackoff:     4 * time.Millisecond,
		Reporter:       rep,
	}
}

func healthOf(base string, budget time.Duration, eps ...config.Endpoint) config.Health {
	if len(eps) == 0 {
		eps = []config.Endpoint{{Path: "/healthz"}}
	}
	return config.Health{BaseURL: base, Endpoints: eps, Timeout: budget}
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// one checks a single endpoint and returns its result, error and events.
func one(t *testing.T, opts Options, h config.Health) (Result, []event.Event, error) {
	t.Helper()
	rec := &event.Recorder{}
	opts.Reporter = rec
	res, err := New(opts).Check(ctxFor(t), "tech-gateway", h)
	if len(res) != 1 {
		t.Fatalf("Check returned %d results, want 1", len(res))
	}
	return res[0], rec.Events(), err
}

// freeAddr returns a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// listenOn serves h on addr and returns its base URL. It may run on another
// goroutine than the test's, so it reports with Errorf.
func listenOn(t *testing.T, addr string, h http.HandlerFunc) string {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("listen on %s: %v", addr, err)
		return ""
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}
