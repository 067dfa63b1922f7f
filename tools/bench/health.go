package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/healthcheck"
)

// HealthLatency is how long after an endpoint turned healthy the health
// check passed, with the checker's defaults.
type HealthLatency struct {
	FlipWithin     time.Duration // endpoints turned healthy at a random instant within this of the check's start
	MaxBackoff     time.Duration // the checker's backoff cap
	MedianAttempts int           // HTTP attempts per check
	Stats
}

// healthFlipWithin bounds when an endpoint turns healthy: a few seconds of
// 503 while traffic moves to the new tasks.
const healthFlipWithin = 6 * time.Second

// HealthDetection starts runs health checks at once, each against its own
// endpoint on 127.0.0.1 that answers 503 until a random instant and 200
// after, and measures from that instant to Check returning. opts are the
// checker's; the zero value is the defaults.
func HealthDetection(ctx context.Context, runs int, opts healthcheck.Options) (HealthLatency, error) {
	if runs <= 0 {
		runs = 20
	}
	res := HealthLatency{FlipWithin: healthFlipWithin, MaxBackoff: opts.MaxBackoff}
	if res.MaxBackoff <= 0 {
		res.MaxBackoff = healthcheck.DefaultMaxBackoff
	}
	lats := make([]time.Duration, runs)
	attempts := make([]int, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			lats[i], attempts[i], errs[i] = healthOnce(ctx, opts, rand.N(healthFlipWithin))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return res, fmt.Errorf("health detection run %d: %w", i, err)
		}
	}
	slices.Sort(attempts)
	res.Stats, res.MedianAttempts = summarize(lats), attempts[(runs-1)/2]
	return res, nil
}

// healthOnce checks one endpoint that turns healthy after flipAfter.
func healthOnce(ctx context.Context, opts healthcheck.Options, flipAfter time.Duration) (time.Duration, int, error) {
	var healthyAt atomic.Int64 // unix nanoseconds
	// A plain server rather than httptest, which is for tests: the driver
	// is a program and must not link test helpers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if time.Now().UnixNano() < healthyAt.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	checker := healthcheck.New(opts)
	flip := time.Now().Add(flipAfter)
	healthyAt.Store(flip.UnixNano())
	results, err := checker.Check(ctx, "bench", config.Health{BaseURL: "http://" + ln.Addr().String(), Endpoints: []config.Endpoint{{Path: "/healthz"}}})
	passed := time.Now()
	if err != nil {
		return 0, 0, err
	}
	return passed.Sub(flip), results[0].Attempts, nil
}
