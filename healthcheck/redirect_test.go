package healthcheck

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// redirectTo answers every request with a 302 to target.
func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) }
}

func TestRedirectPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		serviceWide   config.RedirectPolicy
		endpoint      config.RedirectPolicy
		expectStatus  []int
		otherHost     bool // redirect to another server (another port) rather than to /final on the same one
		wantOK        bool
		wantErr       error
		wantRunbook   string
		wantInError   string
		wantOtherHits int
	}{
		{name: "same host followed by default", wantOK: true},
		{name: "another host fails by default", otherHost: true, wantErr: ErrCrossHostRedirect,
			wantRunbook: runbook.HealthCrossHostRedirect, wantInError: "redirected to another host: "},
		{name: "another host followed with any", endpoint: config.RedirectsAny, otherHost: true, wantOK: true, wantOtherHits: 1},
		{name: "service-wide any is inherited", serviceWide: config.RedirectsAny, otherHost: true, wantOK: true, wantOtherHits: 1},
		{name: "endpoint same-host overrides service-wide any", serviceWide: config.RedirectsAny, endpoint: config.RedirectsSameHost,
			otherHost: true, wantErr: ErrCrossHostRedirect, wantRunbook: runbook.HealthCrossHostRedirect},
		{name: "none judges the redirect itself", endpoint: config.RedirectsNone, wantErr: ErrStatus,
			wantRunbook: runbook.HealthStatus, wantInError: "302 Found to "},
		{name: "none with the 3xx expected passes", endpoint: config.RedirectsNone, expectStatus: []int{302}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			other, otherSeen := serve(t, status(http.StatusOK))
			target := "/final"
			if tt.otherHost {
				target = other.URL + "/elsewhere?session=s3ss10n-value"
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/healthz", redirectTo(target))
			mux.HandleFunc("/final", func(http.ResponseWriter, *http.Request) {})
			base := listenOn(t, "127.0.0.1:0", mux.ServeHTTP)
			h := healthOf(base, 5*time.Second, config.Endpoint{Path: "/healthz", FollowRedirects: tt.endpoint, ExpectStatus: tt.expectStatus})
			h.FollowRedirects = tt.serviceWide
			res, events, err := one(t, fast(nil), h)
			if res.OK != tt.wantOK || res.Attempts != 1 {
				t.Fatalf("result %+v (err %v), want ok=%v after 1 attempt", res, err, tt.wantOK)
			}
			if got := len(otherSeen.requests()); got != tt.wantOtherHits {
				t.Errorf("the other host got %d request(s), want %d", got, tt.wantOtherHits)
			}
			if tt.wantOK {
				return
			}
			if !errors.Is(err, tt.wantErr) || failure.RunbookIDOf(err) != tt.wantRunbook || res.RunbookID != tt.wantRunbook {
				t.Fatalf("err %v (runbook %q), want %v and %s", err, failure.RunbookIDOf(err), tt.wantErr, tt.wantRunbook)
			}
			if !strings.Contains(res.Error, tt.wantInError) || strings.Contains(res.Error, "s3ss10n-value") {
				t.Errorf("error %q lacks %q or shows the session", res.Error, tt.wantInError)
			}
			fails := event.Of[event.Failure](events)
			if len(fails) != 1 || fails[0].RunbookID != tt.wantRunbook || fails[0].Fix == "" {
				t.Errorf("failure events %+v", fails)
			}
		})
	}
}

// A chain may not leave the host one allowed hop at a time: each hop is
// measured from the endpoint's own URL.
func TestRedirectChainLeavingTheHost(t *testing.T) {
	t.Parallel()
	other, otherSeen := serve(t, status(http.StatusOK))
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", redirectTo("/hop"))
	mux.HandleFunc("/hop", redirectTo(other.URL+"/"))
	base := listenOn(t, "127.0.0.1:0", mux.ServeHTTP)
	res, _, err := one(t, fast(nil), healthOf(base, 5*time.Second))
	if !errors.Is(err, ErrCrossHostRedirect) || len(otherSeen.requests()) != 0 {
		t.Fatalf("err %v, result %+v, other host saw %d", err, res, len(otherSeen.requests()))
	}
}

func TestProbeCrossHostRedirect(t *testing.T) {
	t.Parallel()
	other, _ := serve(t, status(http.StatusOK))
	srv, _ := serve(t, redirectTo(other.URL+"/login"))
	got := New(fast(nil)).Probe(ctxFor(t), srv.URL, config.Endpoint{Path: "/healthz"})
	if got.Class != ClassCrossHost || !strings.Contains(got.Detail, other.URL+"/login") {
		t.Fatalf("Probe = %+v, want %s naming the target", got, ClassCrossHost)
	}
}

func TestSameHost(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
	}{
		{"http://api.example.com/h", "http://api.example.com/other", true},
		{"http://api.example.com/h", "https://api.example.com/h", true},
		{"http://api.example.com/h", "https://API.example.com:443/h", true},
		{"http://api.example.com:8080/h", "https://api.example.com:8080/h", true},
		{"http://api.example.com:8080/h", "https://api.example.com:8443/h", false},
		{"https://api.example.com/h", "http://api.example.com/h", false}, // a downgrade
		{"https://api.example.com/h", "https://api.example.com:8443/h", false},
		{"https://api.example.com/h", "https://login.example.com/h", false},
		{"https://api.example.com/h", "https://api.example.com.evil.test/h", false},
	}
	for _, tt := range tests {
		t.Run(tt.from+" to "+tt.to, func(t *testing.T) {
			from, _ := url.Parse(tt.from)
			to, _ := url.Parse(tt.to)
			if got := sameHost(from, to); got != tt.want {
				t.Fatalf("sameHost = %v, want %v", got, tt.want)
			}
		})
	}
}
