package config

import (
	"errors"
	"strings"
	"testing"
)

func TestHealthRedirectsAndHealthyAfter(t *testing.T) {
	tests := []struct {
		name          string
		health        string // the value of health: in flow style
		wantRedirects []RedirectPolicy
		wantPasses    int
	}{
		{"defaults", "{base_url: 'http://x', endpoints: [/a]}", []RedirectPolicy{RedirectsSameHost}, 1},
		{"service-wide policy and passes", "{base_url: 'http://x', follow_redirects: any, healthy_after: 3, endpoints: [/a, /b]}",
			[]RedirectPolicy{RedirectsAny, RedirectsAny}, 3},
		{"endpoint overrides the service", "{base_url: 'http://x', follow_redirects: none, endpoints: [/a, {path: /b, follow_redirects: same-host}]}",
			[]RedirectPolicy{RedirectsNone, RedirectsSameHost}, 1},
		{"endpoint alone", "{base_url: 'http://x', endpoints: [{path: /a, follow_redirects: any}]}", []RedirectPolicy{RedirectsAny}, 1},
		{"quoted number", "{base_url: 'http://x', healthy_after: '2', endpoints: [/a]}", []RedirectPolicy{RedirectsSameHost}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte("services:\n  - cluster: c\n    service: s\n    health: "+tt.health+"\n"), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			h := *f.Services[0].Health
			if got := h.PassesNeeded(); got != tt.wantPasses {
				t.Errorf("PassesNeeded = %d, want %d", got, tt.wantPasses)
			}
			if len(h.Endpoints) != len(tt.wantRedirects) {
				t.Fatalf("%d endpoints, want %d", len(h.Endpoints), len(tt.wantRedirects))
			}
			for i, ep := range h.Endpoints {
				if got := h.Redirects(ep); got != tt.wantRedirects[i] {
					t.Errorf("Redirects(%s) = %q, want %q", ep.Path, got, tt.wantRedirects[i])
				}
			}
		})
	}
}

func TestHealthRedirectsAndHealthyAfterErrors(t *testing.T) {
	const head = "services:\n  - cluster: c\n    service: s\n    health:\n      base_url: http://x\n"
	tests := []struct {
		name string
		yaml string
		pos  string // FILE:LINE:COL prefix
		msg  string // substring
	}{
		{"healthy_after zero", head + "      healthy_after: 0\n      endpoints: [/h]\n", "c.yaml:6:22:", `healthy_after: "0" is not a whole number from 1 to 100`},
		{"healthy_after words", head + "      healthy_after: three\n      endpoints: [/h]\n", "c.yaml:6:22:", "e.g. 3"},
		{"healthy_after too many", head + "      healthy_after: 101\n      endpoints: [/h]\n", "c.yaml:6:22:", "from 1 to 100"},
		{"healthy_after list", head + "      healthy_after: [2]\n      endpoints: [/h]\n", "c.yaml:6:22:", "healthy_after: expected a whole number, e.g. 3, got a list"},
		{"service policy", head + "      follow_redirects: cross-host\n      endpoints: [/h]\n", "c.yaml:6:25:", `follow_redirects: "cross-host" is not a redirect policy; expected same-host (the default), any or none`},
		{"test_base_url not a URL", head + "      test_base_url: api.example.com:8443\n      endpoints: [/h]\n", "c.yaml:6:22:", `test_base_url: "api.example.com:8443" is not an absolute http(s) URL`},
		{"endpoint policy", head + "      endpoints:\n        - {path: /h, follow_redirects: yes}\n", "c.yaml:7:40:", `"yes" is not a redirect policy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), env(nil))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *config.Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.pos) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %q, want prefix %q containing %q", err, tt.pos, tt.msg)
			}
		})
	}
}

func TestHealthTestBaseURL(t *testing.T) {
	tests := []struct {
		name, health, want string
	}{
		{"absent", "{base_url: 'http://x', endpoints: [/a]}", ""},
		{"trailing slash dropped", "{base_url: 'http://x', test_base_url: 'https://x:8443/', endpoints: [/a]}", "https://x:8443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte("services:\n  - cluster: c\n    service: s\n    health: "+tt.health+"\n"), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Services[0].Health.TestBaseURL; got != tt.want {
				t.Errorf("TestBaseURL = %q, want %q", got, tt.want)
			}
		})
	}
}
