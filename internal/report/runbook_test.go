package report

import (
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name, in string
		width    int
		want     string
	}{
		{"short", "one two", 20, "  one two\n"},
		{"breaks at spaces", "one two three four", 12, "  one two\n  three four\n"},
		{"numbered steps hang", "1. run this command\n2. then that", 14, "  1. run this\n     command\n  2. then that\n"},
		{"indented line keeps its indent", "   health: {a: b}", 40, "     health: {a: b}\n"},
		{"a long word is not split", "see https://example.com/very/long", 10, "  see\n  https://example.com/very/long\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrap(tt.in, tt.width, "  "); got != tt.want {
				t.Errorf("wrap:\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"config.invalid": "configinvalid", "health.tls-certificate": "healthtls-certificate", "A b_C": "a-b_c"} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMDText(t *testing.T) {
	in := "run `aws logs tail <log-group>` for <service>"
	want := "run `aws logs tail <log-group>` for &lt;service&gt;"
	if got := mdText(in); got != want {
		t.Errorf("mdText = %q, want %q", got, want)
	}
}

func TestRunbookRendering(t *testing.T) {
	entries := []runbook.Entry{testRunbook["config.invalid"], testRunbook["rollout.app-exit"], testRunbook["rollout.circuit-breaker"]}
	md := RunbookMarkdown(entries)
	for _, want := range []string{
		"| [`config.invalid`](#configinvalid) | The config file is invalid |",
		"\n## rollout\n\n### rollout.app-exit\n",
		"**Fix.**\n\n1. Read the stopped tasks' reasons and logs shown above.\n2. Fix",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "\n## rollout\n") != 1 {
		t.Errorf("one section per area expected:\n%s", md)
	}
	if RunbookMarkdown(entries) != md {
		t.Error("markdown is not deterministic")
	}
	text := RunbookText(entries, 60)
	for _, line := range strings.Split(text, "\n") {
		if len([]rune(line)) > 60 {
			t.Errorf("text line longer than 60: %q", line)
		}
	}
	if !strings.Contains(text, "config.invalid — The config file is invalid\n  Symptom:\n    omdeploy exits 2") {
		t.Errorf("text:\n%s", text)
	}
}
