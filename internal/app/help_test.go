package app

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// TestHelpRules walks every command's --help: the exit-code table only at
// the root, one default per flag, metavars that say what to type (N,
// DURATION, …, never "value"), and only the flags that apply to the
// command.
func TestHelpRules(t *testing.T) {
	// Flags a command must not list: they change nothing it does.
	notUnder := map[string][]string{
		"runbook":    {"--config", "--service", "--region", "--profile", "--endpoint-url", "--timeout"},
		"version":    {"--config", "--service", "--region", "--profile", "--endpoint-url", "--timeout"},
		"completion": {"--config", "--service", "--region", "--profile", "--endpoint-url", "--output"},
		"health":     {"--region", "--profile", "--endpoint-url"},
		"demo":       {"--config", "--region", "--profile", "--endpoint-url"},
	}
	engine := []string{"--parallel", "--poll-interval", "--poll-max", "--log-lines"}
	engineUnder := []string{"deploy", "wait", "rollback", "continue"}
	metavar := regexp.MustCompile(`^[A-Z][A-Z0-9_:]*$`)

	a := newApp(Build{}, iostreams.Test(&strings.Builder{}, &strings.Builder{}), deps{}.withDefaults())
	names := []string{""}
	for _, c := range a.VisibleCommands() {
		names = append(names, c.Name)
	}
	for _, name := range names {
		t.Run("help "+name, func(t *testing.T) {
			args := []string{"--help"}
			if name != "" {
				args = []string{name, "--help"}
			}
			code, out, stderr := run(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if hasTable := strings.Contains(out, "EXIT CODES"); hasTable != (name == "") {
				t.Errorf("exit-code table shown: %v; want it at the root only", hasTable)
			}
			var listed []string
			for _, line := range optionLines(out) {
				spec, usage, _ := strings.Cut(strings.TrimSpace(line), "  ")
				if n := strings.Count(usage, "default"); n > 1 {
					t.Errorf("%d defaults: %s", n, line)
				}
				for _, word := range strings.Fields(strings.NewReplacer(",", " ", "[", " ", "]", " ").Replace(spec)) {
					if strings.HasPrefix(word, "-") {
						listed = append(listed, word)
					} else if !metavar.MatchString(word) {
						t.Errorf("metavar %q is not a placeholder in capitals: %s", word, line)
					}
				}
			}
			if name == "" {
				return
			}
			for _, f := range notUnder[name] {
				if slices.Contains(listed, f) {
					t.Errorf("%s is listed, and does not apply to %s", f, name)
				}
			}
			for _, f := range engine {
				if slices.Contains(listed, f) != slices.Contains(engineUnder, name) {
					t.Errorf("%s listed: %v; want it only under %v", f, slices.Contains(listed, f), engineUnder)
				}
			}
		})
	}
}

// optionLines are the flag lines of a help text: those under OPTIONS: or
// GLOBAL OPTIONS:.
func optionLines(help string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasSuffix(line, "OPTIONS:"):
			in = true
		case in && strings.HasPrefix(strings.TrimSpace(line), "-"):
			out = append(out, line)
		case strings.TrimSpace(line) != "":
			in = false
		}
	}
	return out
}

// TestGlobalFlagsEitherSide: a global flag works before and after the
// command name where it applies, and is refused after one it does not
// apply to.
func TestGlobalFlagsEitherSide(t *testing.T) {
	tests := []struct {
		name string
		args []string
		exit int
		json bool
	}{
		{"output before", []string{"-o", "json", "runbook", "operator.usage"}, 0, true},
		{"output after", []string{"runbook", "-o", "json", "operator.usage"}, 0, true},
		{"output after version", []string{"version", "--output", "json"}, 0, true},
		{"region after runbook", []string{"runbook", "--region", "eu-west-1"}, 2, false},
		{"region before runbook", []string{"--region", "eu-west-1", "runbook", "operator.usage"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := run(t, tt.args...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d: %s", code, tt.exit, stderr)
			}
			if tt.json && !strings.HasPrefix(out, "{") {
				t.Errorf("stdout is not the JSON document:\n%s", out)
			}
		})
	}
}
