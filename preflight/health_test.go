package preflight

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestHealthContract(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			fmt.Fprint(w, `{"status":"ok"}`)
		case "/api/tech/health":
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name        string
		health      *config.Health
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
	}{
		{
			name:       "endpoints answer",
			health:     &config.Health{BaseURL: srv.URL, Endpoints: []config.Endpoint{{Path: "/healthz", ExpectBody: "ok"}, {Path: "/api/tech/health", ExpectStatus: []int{200, 204}}}},
			wantStatus: event.StatusPass, wantInMsg: []string{srv.URL + "/healthz 200", "/api/tech/health 204"},
		},
		{
			name:        "not declared",
			health:      nil,
			wantStatus:  event.StatusWarn,
			wantRunbook: runbook.HealthUndeclared, wantInMsg: []string{"no health endpoints declared"},
		},
		{
			name:        "malformed base URL",
			health:      &config.Health{BaseURL: "tech.example.com", Endpoints: []config.Endpoint{{Path: "/healthz"}}},
			wantStatus:  event.StatusWarn,
			wantRunbook: runbook.HealthUndeclared, wantInMsg: []string{"not an absolute http(s) URL"},
		},
		{
			name:        "phantom route warns, never fails",
			health:      &config.Health{BaseURL: srv.URL, Endpoints: []config.Endpoint{{Path: "/healthz"}, {Path: "/api/health"}}},
			wantStatus:  event.StatusWarn,
			wantRunbook: runbook.HealthBaseline, wantInMsg: []string{"/api/health: 404 Not Found", "/healthz 200"},
		},
		{
			name:        "body lacks expected text",
			health:      &config.Health{BaseURL: srv.URL, Endpoints: []config.Endpoint{{Path: "/healthz", ExpectBody: "healthy"}}},
			wantStatus:  event.StatusWarn,
			wantRunbook: runbook.HealthBaseline, wantInMsg: []string{`200 OK but the body does not contain "healthy"`},
		},
		{
			name:        "unreachable",
			health:      &config.Health{BaseURL: closedURL, Endpoints: []config.Endpoint{{Path: "/healthz"}}},
			wantStatus:  event.StatusWarn,
			wantRunbook: runbook.HealthBaseline, wantInMsg: []string{"connection refused"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checks, _ := runWorld(t, newWorld(), func(o *Options) { o.Config.Services[0].Health = tt.health })
			c := find(t, checks, IDHealthContract, testService)
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			if tt.wantRunbook == runbook.HealthBaseline && !strings.Contains(c.Fix, "curl -si http") {
				t.Errorf("fix %q does not name the URL", c.Fix)
			}
		})
	}
}
