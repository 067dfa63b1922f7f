package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

// TestPlanDetailedExitcode: plan writes nothing; with --detailed-exitcode
// it exits 0 when no task definition would change and 8 when one would,
// and the diff names the one field that changes, the image.
func TestPlanDetailedExitcode(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		exit    int
		changes int
		text    []string // on stdout, with text output
	}{
		{name: "no change", args: []string{"plan", "--detailed-exitcode"}, exit: 0, text: []string{"reuses"}},
		{name: "no change, no flag", args: []string{"plan"}, exit: 0},
		{name: "new tag", args: []string{"plan", "--tag", "v2", "--detailed-exitcode"}, exit: failure.ExitChanges, changes: 1,
			text: []string{"- containerDefinitions[", "+ containerDefinitions[", "].image: ", ":v2"}},
		{name: "new tag without the flag", args: []string{"plan", "--tag", "v2"}, exit: 0, changes: 1},
		{name: "deploy dry run", args: []string{"deploy", "--dry-run", "--tag", "v2", "--detailed-exitcode"}, exit: failure.ExitChanges, changes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr, writes := simRun(t, "healthy", tt.args...)
			if code != tt.exit || writes != 0 {
				t.Fatalf("exit %d (want %d), %d writes\nstdout:\n%s\nstderr:\n%s", code, tt.exit, writes, stdout, stderr)
			}
			for _, s := range tt.text {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			code, stdout, _, _ = simRun(t, "healthy", append(tt.args, "-o", "json")...)
			var doc result.Document
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != tt.exit {
				t.Fatalf("exit %d, not one document (%v):\n%s", code, err, stdout)
			}
			if !doc.OK || doc.ExitCode != tt.exit || !doc.DryRun {
				t.Fatalf("ok %v, exit_code %d, dry_run %v; want ok, %d, a dry run", doc.OK, doc.ExitCode, doc.DryRun, tt.exit)
			}
			for _, s := range doc.Services {
				if s.Plan == nil || len(s.Plan.Changes) != tt.changes || s.Plan.Reused != (tt.changes == 0) {
					t.Fatalf("%s: plan %+v, want %d changes", s.Name, s.Plan, tt.changes)
				}
				if tt.changes > 0 && !strings.HasSuffix(s.Plan.Changes[0].Path, ".image") {
					t.Errorf("%s: change %+v, want the image", s.Name, s.Plan.Changes[0])
				}
			}
		})
	}
}

// TestImageFlagsUsageErrors: a malformed --image or --tag is exit 2
// before any AWS call.
func TestImageFlagsUsageErrors(t *testing.T) {
	cfg := writeConfig(t, "region: us-east-1\nservices:\n  - name: web\n    cluster: c\n    service: s\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"two bare images", []string{"deploy", "--image", "a:1", "--image", "b:2"}, "the target container already gets a:1"},
		{"a container twice", []string{"plan", "--tag", "app=v1", "--tag", "app=v2"}, "container app is given twice"},
		{"empty name", []string{"deploy", "--image", "=repo/a:1"}, "want NAME=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append(tt.args, "--config", cfg)...)
			if code != failure.ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want 2 and %q\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
		})
	}
}
