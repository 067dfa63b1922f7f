package healthcheck

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// alternating answers 200, 503, 200, 503, … whatever the timing.
func alternating(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	return listenOn(t, "127.0.0.1:0", func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}), &n
}

// A flapping endpoint must not pass on one lucky 200 when healthy_after
// asks for more: it never passes twice in a row, so the budget runs out.
func TestFlappingEndpointFailsWithHealthyAfter(t *testing.T) {
	t.Parallel()
	base, served := alternating(t)
	h := healthOf(base, time.Second)
	h.HealthyAfter = 2
	res, _, err := one(t, fast(nil), h)
	if res.OK || !errors.Is(err, ErrFlapping) || res.RunbookID != runbook.HealthFlapping || failure.RunbookIDOf(err) != runbook.HealthFlapping {
		t.Fatalf("result %+v err %v, want a flapping failure", res, err)
	}
	if res.Attempts < 3 || served.Load() < 3 {
		t.Fatalf("%d attempt(s), server saw %d: the checker stopped probing", res.Attempts, served.Load())
	}
	if !strings.Contains(res.Error, "at most 1 in a row, 2 needed") {
		t.Errorf("error %q does not say how far it got", res.Error)
	}
}

// The same server passes at once with the default of one pass, which is
// the behaviour healthy_after exists to tighten.
func TestFlappingEndpointPassesWithDefault(t *testing.T) {
	t.Parallel()
	base, _ := alternating(t)
	res, _, err := one(t, fast(nil), healthOf(base, 5*time.Second))
	if err != nil || !res.OK || res.Attempts != 1 {
		t.Fatalf("result %+v err %v, want a pass on the first attempt", res, err)
	}
}

func TestHealthyAfterCountsPassesInARow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		need         int
		steps        []http.HandlerFunc
		wantAttempts int
	}{
		{"three in a row", 3, []http.HandlerFunc{status(200)}, 3},
		{"a failure resets the count", 2, []http.HandlerFunc{status(200), status(503), status(200), status(200)}, 4},
		{"failures before do not count", 2, []http.HandlerFunc{status(503), status(502), status(200), status(200)}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, seen := serve(t, tt.steps...)
			h := healthOf(srv.URL, 10*time.Second)
			h.HealthyAfter = tt.need
			res, _, err := one(t, fast(nil), h)
			if err != nil || !res.OK || res.Attempts != tt.wantAttempts || len(seen.requests()) != tt.wantAttempts {
				t.Fatalf("result %+v err %v (server saw %d), want a pass after %d attempts", res, err, len(seen.requests()), tt.wantAttempts)
			}
		})
	}
}
