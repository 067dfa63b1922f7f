package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestNotifyFailureNeverFailsTheDeploy deploys against moto with a webhook
// that answers 500: the sends are retried, then warned about, the deploy
// exits 0, and the webhook's secret path shows in no output.
func TestNotifyFailureNeverFailsTheDeploy(t *testing.T) {
	const secret = "/services/T0/B0/hushHushWebhookToken"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == secret {
			calls.Add(1)
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	c := testenv.Moto(t)
	ep := testenv.MotoEndpoint(t)
	tests := []struct {
		name string
		args []string
	}{
		{name: "json document and json log", args: []string{"--output", "json", "--log-format", "json"}},
		{name: "text", args: []string{"--no-color"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			cfg := motoConfig(t, f, "notify:\n  - webhook: "+srv.URL+secret+"\n    on: [start]\n")
			args := append([]string{"deploy", "--config", cfg, "--endpoint-url", ep, "--region", "us-east-1", "--skip-preflight", "--force-new-deployment"}, tt.args...)
			code, stdout, stderr := run(t, args...)
			if code != 0 {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if got := calls.Load(); got != 3 {
				t.Errorf("webhook called %d times, want 3 (retried)", got)
			}
			all := stdout + stderr
			if !strings.Contains(all, "notification to webhook (http://127.0.0.1:") || !strings.Contains(all, "HTTP 500 after 3 attempt(s)") {
				t.Errorf("no warning about the failed notification\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			if strings.Contains(all, "hushHush") || strings.Contains(all, "T0/B0") {
				t.Errorf("the webhook's secret path is in the output\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}
