package report

import (
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/result"
)

// TestPlanJSON: the document of a plan carries each service's changes.
func TestPlanJSON(t *testing.T) {
	_, stdout := run(t, planChanges(), Options{Output: OutputJSON})
	golden(t, "json-plan-changes", stdout)
}

func TestDiffText(t *testing.T) {
	tests := []struct {
		name   string
		change result.Change
		want   string
	}{
		{"changed", result.Change{Path: "cpu", Old: "512", New: "1024"}, "\n    - cpu: 512\n    + cpu: 1024"},
		{"added", result.Change{Path: "tags[+team]", New: "core"}, "\n    + tags[+team]: core"},
		{"removed", result.Change{Path: "tags[-team]", Old: "core"}, "\n    - tags[-team]: core"},
		{"unset", result.Change{Path: "memory", Old: "1024"}, "\n    - memory: 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (textView{}).diffText([]result.Change{tt.change}); got != tt.want {
				t.Errorf("diffText = %q, want %q", got, tt.want)
			}
		})
	}
	coloured := textView{pal: palette{on: true}}.diffText([]result.Change{{Path: "cpu", Old: "512", New: "1024"}})
	if !strings.Contains(coloured, "\x1b[31m- cpu: 512") || !strings.Contains(coloured, "\x1b[32m+ cpu: 1024") {
		t.Errorf("on a terminal the old line is red and the new green: %q", coloured)
	}
}
