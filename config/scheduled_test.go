package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestScheduledRules(t *testing.T) {
	const src = `services:
  - cluster: c
    service: s
    scheduled:
      - nightly-report
      - rule: cleanup
        event_bus: ops
      - rule: cleanup
`
	f, err := Parse("c.yaml", []byte(src), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []ScheduledRule{{Rule: "nightly-report", Line: 5}, {Rule: "cleanup", EventBus: "ops", Line: 6}, {Rule: "cleanup", Line: 8}}
	if got := f.Services[0].Scheduled; !slices.Equal(got, want) {
		t.Fatalf("scheduled = %+v, want %+v", got, want)
	}
}

func TestScheduledRuleErrors(t *testing.T) {
	const head = "services:\n  - cluster: c\n    service: s\n    scheduled:\n"
	tests := []struct {
		name string
		yaml string
		pos  string // FILE:LINE:COL prefix
		msg  string // substring
	}{
		{"not a list", "services:\n  - cluster: c\n    service: s\n    scheduled: nightly\n", "c.yaml:4:16:", "scheduled: expected a list of EventBridge rule names"},
		{"bad rule name", head + "      - nightly report\n", "c.yaml:5:9:", `"nightly report" is not an EventBridge rule name`},
		{"no rule", head + "      - event_bus: ops\n", "c.yaml:5:9:", `a scheduled rule: missing required key "rule"`},
		{"unknown key", head + "      - rule: r\n        bus: ops\n", "c.yaml:6:9:", `unknown key "bus" in a scheduled rule`},
		{"bad bus", head + "      - rule: r\n        event_bus: 'a b'\n", "c.yaml:6:20:", "is not an EventBridge event bus name or ARN"},
		{"twice", head + "      - r\n      - rule: r\n", "c.yaml:6:9:", "rule \"r\" is listed twice (first on line 5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), env(nil))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if !strings.HasPrefix(err.Error(), tt.pos) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %q, want prefix %q and %q", err, tt.pos, tt.msg)
			}
		})
	}
}
