package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/runbook"
)

// TestRunbookDocIsCurrent regenerates docs/RUNBOOK.md in memory, the way
// `make docs` does, and compares it with the committed file.
func TestRunbookDocIsCurrent(t *testing.T) {
	code, out, stderr := run(t, "runbook", "--markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join("..", "..", "docs", "RUNBOOK.md")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run `make docs`", err)
	}
	if out != string(want) {
		t.Fatalf("docs/RUNBOOK.md is stale: the runbook entries changed; run `make docs` and commit the result")
	}
	for _, e := range runbook.All() {
		if !strings.Contains(out, "### "+e.ID+"\n") {
			t.Errorf("entry %s is not in the markdown", e.ID)
		}
	}
}

func TestRunbookCommand(t *testing.T) {
	all := runbook.All()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stdout (or stderr for failures)
		wantNot  []string
	}{
		{"every entry", []string{"runbook"}, 0, []string{runbook.ConfigInvalid + " — ", runbook.Interrupted + " — ", "Likely cause:"}, nil},
		{"one entry", []string{"runbook", runbook.Interrupted}, 0, []string{runbook.Interrupted + " — The run was interrupted", "omdeploy status"}, []string{runbook.ConfigInvalid}},
		{"an area", []string{"runbook", "operator"}, 0, []string{runbook.Interrupted, runbook.DebugLoop}, []string{runbook.ConfigInvalid}},
		{"unknown", []string{"runbook", "no.such-thing"}, 2, []string{`no runbook entry or area "no.such-thing"`, "areas: "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := run(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, stderr)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, _ := run(t, "runbook", "--output", "json")
	var doc struct {
		OK      bool `json:"ok"`
		Runbook []struct {
			ID  string `json:"id"`
			Fix string `json:"fix"`
		} `json:"runbook"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || !doc.OK || len(doc.Runbook) != len(all) {
		t.Fatalf("json: exit %d, err %v, %d entries of %d:\n%s", code, err, len(doc.Runbook), len(all), out)
	}
}
