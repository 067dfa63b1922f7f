package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// run runs the CLI in-process and returns its exit code and outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), Build{Version: "1.2.3", Commit: "abc", Date: "today"}, append([]string{"omdeploy"}, args...), iostreams.Test(&stdout, &stderr))
	return code, stdout.String(), stderr.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "omdeploy.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, cmd := range []string{"deploy", "preflight", "wait", "health", "status", "rollback", "demo", "version", "EXIT CODES"} {
		if !strings.Contains(out, cmd) {
			t.Errorf("--help does not mention %q:\n%s", cmd, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.Contains(out, "omdeploy 1.2.3 (commit abc, built today") {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestBadConfigExits2WithPosition(t *testing.T) {
	tests := []struct {
		name string
		body string
		pos  string
		msg  string
	}{
		{"unknown key", "services:\n  - cluster: c\n    service: s\n    imgae: x\n", ":4:5:", `unknown key "imgae"`},
		{"wrong type", "services: {cluster: c}\n", ":1:11:", "expected a list"},
		{"missing cluster", "services:\n  - service: s\n", ":2:5:", `missing required key "cluster"`},
		{"unset var", "services:\n  - cluster: ${OMDEPLOY_TEST_UNSET_VAR}\n    service: s\n", ":2:14:", "OMDEPLOY_TEST_UNSET_VAR is not set"},
		{"bad duration", "services:\n  - cluster: c\n    service: s\n    wait_timeout: soon\n", ":4:19:", "not a positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, tt.body)
			code, stdout, stderr := run(t, "preflight", "--config", cfg)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stdout+stderr, cfg+tt.pos) || !strings.Contains(stdout+stderr, tt.msg) {
				t.Fatalf("output does not name %s%s and %q:\nstdout:\n%s\nstderr:\n%s", cfg, tt.pos, tt.msg, stdout, stderr)
			}
		})
	}
}

func TestBadConfigJSONDocument(t *testing.T) {
	cfg := writeConfig(t, "services:\n  - service: s\n")
	code, stdout, _ := run(t, "health", "--config", cfg, "--output", "json")
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Command  string `json:"command"`
		OK       bool   `json:"ok"`
		ExitCode int    `json:"exit_code"`
		Stage    string `json:"stage"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if doc.Command != "health" || doc.OK || doc.ExitCode != 2 || doc.Stage != "config" || !strings.Contains(doc.Error, ":2:5:") {
		t.Fatalf("doc = %+v", doc)
	}
}

// TestUsageErrors: a command line omdeploy cannot read exits 2 before doing
// anything, says so on stderr with a usage line and the nearest name, and
// with -o json still writes exactly one document on stdout.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		stderr  []string
		json    bool   // stdout is one document of this command
		command string // the document's command
	}{
		{name: "unknown command", args: []string{"deplyo"},
			stderr: []string{`unknown command "deplyo"`, "Did you mean deploy?", "usage: omdeploy [global options] COMMAND"}},
		{name: "unknown command swapped letters", args: []string{"rollbakc"}, stderr: []string{"Did you mean rollback?"}},
		{name: "unknown command json", args: []string{"-o", "json", "stauts"}, json: true,
			stderr: []string{"Did you mean status?", "usage: omdeploy"}},
		{name: "unknown flag", args: []string{"deploy", "--dryrun"},
			stderr: []string{"unknown flag --dryrun for `omdeploy deploy`", "Did you mean --dry-run?", "usage: omdeploy deploy [options]", "operator.usage"}},
		{name: "unknown flag json", args: []string{"deploy", "--no-such-flag", "-o", "json"}, json: true, command: "deploy",
			stderr: []string{"unknown flag --no-such-flag", "usage: omdeploy deploy [options]"}},
		{name: "unknown flag json before", args: []string{"--output=json", "rollback", "--to-revison", "3"}, json: true, command: "rollback",
			stderr: []string{"Did you mean --to-revision?"}},
		{name: "another command's flag", args: []string{"status", "--to-revision", "3"},
			stderr: []string{"unknown flag --to-revision for `omdeploy status`", "usage: omdeploy status [options]"}},
		{name: "unknown global flag", args: []string{"--verbos", "status"},
			stderr: []string{"unknown flag --verbos for `omdeploy`", "Did you mean --verbose?", "usage: omdeploy [global options]"}},
		{name: "bad output", args: []string{"health", "--output", "yaml"}, stderr: []string{`--output "yaml": expected text or json`, "usage: omdeploy health"}},
		{name: "bad log format json", args: []string{"health", "-o", "json", "--log-format", "jsno"}, json: true, command: "health",
			stderr: []string{"Did you mean json?"}},
		{name: "bad value", args: []string{"deploy", "--parallel", "many"}, stderr: []string{`invalid value "many"`, "usage: omdeploy deploy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "(config)") {
				t.Errorf("a usage error is labelled as a config-file one:\n%s", stderr)
			}
			if !tt.json {
				if stdout != "" {
					t.Errorf("stdout = %q, want nothing: the error belongs on stderr", stdout)
				}
				return
			}
			dec := json.NewDecoder(strings.NewReader(stdout))
			var doc struct {
				Command  string `json:"command"`
				ExitCode int    `json:"exit_code"`
				Stage    string `json:"stage"`
				Error    string `json:"error"`
			}
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("stdout is not a JSON document: %v\n%s", err, stdout)
			}
			if dec.More() {
				t.Fatalf("stdout holds more than one document:\n%s", stdout)
			}
			if doc.Command != tt.command || doc.ExitCode != 2 || doc.Stage != "config" || !strings.HasPrefix(doc.Error, "usage: ") {
				t.Errorf("doc = %+v, want command %q, exit 2, stage config", doc, tt.command)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run(t, "version", "--output", "json")
	var d struct {
		Command string `json:"command"`
		OK      bool   `json:"ok"`
		Version struct {
			Version string `json:"version"`
			Commit  string `json:"commit"`
		} `json:"version"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 {
		t.Fatalf("exit %d, not one JSON document (%v):\n%s", code, err, out)
	}
	if d.Command != "version" || !d.OK || d.Version.Version != "1.2.3" || d.Version.Commit != "abc" {
		t.Fatalf("doc = %+v", d)
	}
}
