package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// sections are the document's command-specific keys.
var sections = []string{"status", "runbook", "version", "init", "health", "demo", "history"}

// TestEveryCommandWritesAValidDocument runs each command in-process with
// --output json, passing and failing, and checks that stdout holds exactly
// one document that docs/result.schema.json accepts, with the exit code
// the process ends with and only its own command's section.
func TestEveryCommandWritesAValidDocument(t *testing.T) {
	c := testenv.Moto(t)
	ep := testenv.MotoEndpoint(t)
	aws := []string{"--endpoint-url", ep, "--region", testenv.MotoRegion}

	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	cfg := motoConfig(t, f, "")
	// A second service so rollback has a revision to go back to, left
	// alone by the other cases.
	rb := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	rbCfg := motoConfig(t, rb, "")
	missing := testenv.NewFixture(t, c, testenv.FixtureOptions{Secrets: []string{"/" + testenv.Unique("omd") + "/missing"}})
	missingCfg := motoConfig(t, missing, "")

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	healthCfg := func(paths ...string) string {
		body := fmt.Sprintf("services:\n  - name: web\n    cluster: %s\n    service: %s\n    health:\n      base_url: %s\n      timeout: 5s\n      endpoints:\n", f.Cluster, f.Service, srv.URL)
		for _, p := range paths {
			body += "        - " + p + "\n"
		}
		return writeConfig(t, body)
	}
	initPath := filepath.Join(t.TempDir(), "omdeploy.yaml")

	tests := []struct {
		name    string
		before  []string // a command run first, e.g. a deploy to roll back
		args    []string
		code    int
		section string         // the only section the document may have
		want    map[string]any // some of the section's values
	}{
		{"deploy", nil, append([]string{"deploy", "--config", cfg, "--image", "repo/app:v2"}, aws...), 0, "", nil},
		{"deploy failing preflight", nil, append([]string{"deploy", "--config", missingCfg, "--image", "repo/app:v2"}, aws...), 3, "", nil},
		{"deploy with a config error", nil, []string{"deploy", "--config", writeConfig(t, "services:\n  - service: s\n")}, 2, "", nil},
		{"preflight", nil, append([]string{"preflight", "--config", cfg}, aws...), 0, "", nil},
		{"preflight failing", nil, append([]string{"preflight", "--config", missingCfg}, aws...), 3, "", nil},
		{"wait", nil, append([]string{"wait", "--config", cfg}, aws...), 0, "", nil},
		{"continue with no hook waiting (moto has no service deployments)", nil, append([]string{"continue", "--config", cfg}, aws...), 4, "", nil},
		{"deploy with an unknown --wait-until", nil, append([]string{"deploy", "--config", cfg, "--image", "repo/app:v2", "--wait-until", "HALFWAY"}, aws...), 2, "", nil},
		{"deploy with an unknown --on-cancel", nil, append([]string{"deploy", "--config", cfg, "--image", "repo/app:v2", "--on-cancel", "panic"}, aws...), 2, "", nil},
		{"rollback", append([]string{"deploy", "--config", rbCfg, "--image", "repo/app:v2", "--output", "json"}, aws...),
			append([]string{"rollback", "--config", rbCfg}, aws...), 0, "", nil},
		{"rollback without a previous revision", nil, append([]string{"rollback", "--config", motoConfig(t, testenv.NewFixture(t, c, testenv.FixtureOptions{}), "")}, aws...), 6, "", nil},
		{"health", nil, []string{"health", "--config", healthCfg("/healthz")}, 0, "health", map[string]any{"endpoints": 1.0, "passed": 1.0}},
		{"health failing", nil, []string{"health", "--config", healthCfg("/healthz", "/api/health")}, 5, "health", map[string]any{"endpoints": 2.0, "passed": 1.0}},
		{"status", nil, append([]string{"status", "--config", cfg}, aws...), 0, "status", nil},
		{"history (moto has no service deployments: deployments[])", nil, append([]string{"history", "--config", cfg}, aws...), 0, "history", nil},
		{"history with a bad --limit", nil, append([]string{"history", "--config", cfg, "--limit", "0"}, aws...), 2, "", nil},
		{"runbook", nil, []string{"runbook", "health"}, 0, "runbook", nil},
		{"runbook of an unknown entry", nil, []string{"runbook", "no-such-area"}, 2, "", nil},
		{"version", nil, []string{"version"}, 0, "version", map[string]any{"version": "1.2.3", "commit": "abc", "date": "today"}},
		{"init", nil, []string{"init", "--config", initPath}, 0, "init", map[string]any{"path": initPath, "services": 0.0}},
		{"init over an existing file", nil, []string{"init", "--config", cfg}, 2, "", nil},
		{"demo", nil, []string{"demo", "--speed", testSpeed}, 0, "demo", map[string]any{"scenario": demo.DefaultScenario}},
		{"demo failing", nil, []string{"demo", "--speed", testSpeed, "--scenario", "crash-loop"}, 4, "demo", map[string]any{"scenario": "crash-loop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				if code, out, stderr := run(t, tt.before...); code != 0 {
					t.Fatalf("%v: exit %d\n%s%s", tt.before, code, out, stderr)
				}
			}
			// Flags go before arguments (runbook IDs): urfave/cli stops at the first.
			args := append([]string{tt.args[0], "--output", "json"}, tt.args[1:]...)
			code, stdout, stderr := run(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.code, stderr)
			}
			testenv.ValidDocument(t, stdout)
			var d map[string]any
			if err := json.Unmarshal([]byte(stdout), &d); err != nil {
				t.Fatal(err)
			}
			if d["exit_code"] != float64(code) || d["command"] != tt.args[0] {
				t.Errorf("document says command %v, exit code %v; ran %s, exit %d", d["command"], d["exit_code"], tt.args[0], code)
			}
			for _, s := range sections {
				if _, has := d[s]; has != (s == tt.section) {
					t.Errorf("section %q present: %v, want only %q", s, has, tt.section)
				}
			}
			sec, _ := d[tt.section].(map[string]any)
			for k, v := range tt.want {
				if sec[k] != v {
					t.Errorf("%s.%s = %v, want %v", tt.section, k, sec[k], v)
				}
			}
		})
	}
}
