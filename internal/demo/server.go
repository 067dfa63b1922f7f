package demo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// Routes the health server answers; any other path is a 404, as a real
// service's router answers a route it does not have.
var routes = map[string]string{
	"/healthz":         "ok\n",
	"/api/tech/health": `{"status":"ok"}` + "\n",
}

// healthServer plays the services behind their load balancer: a real HTTP
// server on 127.0.0.1 that the real health checks (preflight's baseline,
// the verification after the rollout) request.
type healthServer struct {
	url  string
	srv  *http.Server
	done chan struct{}
	clk  clock.Clock

	// After the health stage of warmService starts, every request gets a
	// 503 for warmFor, as while a load balancer shifts traffic to new
	// tasks.
	warmService string
	warmFor     time.Duration

	mu        sync.Mutex
	warmUntil time.Time
}

// startServer listens on a free loopback port and serves until close.
func startServer(clk clock.Clock) (*healthServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo health server: %w", err)
	}
	s := &healthServer{url: "http://" + ln.Addr().String(), done: make(chan struct{}), clk: clk}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		// Serve ends with ErrServerClosed when close shuts it down.
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// close stops the server and waits for it.
func (s *healthServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close() // a request still running past the grace period
	}
	<-s.done
}

// observe starts the 503 window when the health stage of warmService
// starts; it is an event.Reporter func, called concurrently.
func (s *healthServer) observe(e event.Event) {
	st, ok := e.(event.StageStarted)
	if !ok || st.Stage != failure.StageHealth || st.Service != s.warmService || s.warmFor <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warmUntil.IsZero() {
		s.warmUntil = s.clk.Now().Add(s.warmFor)
	}
}

func (s *healthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get(healthcheck.RequestIDHeader); id != "" {
		w.Header().Set(healthcheck.RequestIDHeader, id)
	}
	body, ok := routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	warming := s.clk.Now().Before(s.warmUntil)
	s.mu.Unlock()
	if warming {
		http.Error(w, "no healthy targets yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, body)
}
