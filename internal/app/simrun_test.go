package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/result"
)

// dryRun runs `omdeploy deploy --dry-run` with args against a fresh
// simulated account for scenario, and returns the exit code, the outputs
// and how many writes reached the account.
func dryRun(t *testing.T, scenario string, args ...string) (int, string, string, int) {
	t.Helper()
	return simRun(t, scenario, append([]string{"deploy", "--dry-run"}, args...)...)
}

// simRun runs omdeploy with args (the command first) against a fresh
// simulated account for scenario and its services.
func simRun(t *testing.T, scenario string, args ...string) (int, string, string, int) {
	t.Helper()
	return simSession(t, scenario)(args...)
}

// simSession prepares a simulated account for scenario and returns a
// function that runs omdeploy with args (the command first) against it,
// so that commands can follow one another on the same account. The writes
// it returns count from the session's start.
func simSession(t *testing.T, scenario string) func(args ...string) (int, string, string, int) {
	t.Helper()
	env, err := demo.Prepare(t.Context(), demo.Options{Scenario: scenario, Speed: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	d := deps{aws: func(context.Context, awsx.Options) pipeline.AWS { return env.AWS() }, clock: env.Clock}
	return func(args ...string) (int, string, string, int) {
		argv := append([]string{"omdeploy"}, args...)
		argv = append(argv, "--config", env.ConfigPath)
		for _, s := range env.Services {
			argv = append(argv, "--service", s.Name)
		}
		var stdout, stderr bytes.Buffer
		code := runWith(t.Context(), Build{Version: "test"}, argv, iostreams.Test(&stdout, &stderr), d)
		calls := env.Account.Calls()
		return code, stdout.String(), stderr.String(), calls["RegisterTaskDefinition"] + calls["UpdateService"]
	}
}

// TestDeployDryRun: a dry run runs the read-only preflight checks, prints
// the plan (image old → new, the revision that would be registered or the
// one reused) and writes nothing.
func TestDeployDryRun(t *testing.T) {
	// The healthy scenario's current tag, from a first plan.
	code, stdout, stderr, _ := dryRun(t, "healthy", "--tag", "v2", "-o", "json")
	var first result.Document
	if err := json.Unmarshal([]byte(stdout), &first); err != nil || code != 0 || len(first.Services) == 0 || first.Services[0].Plan == nil {
		t.Fatalf("exit %d, %v, no plan:\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
	current := first.Services[0].Plan.Containers[0].PreviousImage
	currentTag := current[strings.LastIndex(current, ":")+1:]

	tests := []struct {
		name     string
		scenario string
		args     []string
		exit     int
		text     []string // on stdout, with text output
		reused   bool
	}{
		{name: "new tag", scenario: "healthy", args: []string{"--tag", "v2"},
			text: []string{"→", ":v2", "would register:", "deploy --dry-run: ok, nothing was changed", "preflight:"}},
		{name: "same image", scenario: "healthy", args: []string{"--tag", currentTag}, reused: true,
			text: []string{"unchanged: reuses revision", "(unchanged)"}},
		{name: "preflight fails", scenario: "missing-ssm-parameter", args: []string{"--tag", "v2"}, exit: failure.ExitPreflight,
			text: []string{"preflight:", "failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr, writes := dryRun(t, tt.scenario, tt.args...)
			if code != tt.exit || writes != 0 {
				t.Fatalf("exit %d (want %d), %d writes\nstdout:\n%s\nstderr:\n%s", code, tt.exit, writes, stdout, stderr)
			}
			for _, s := range tt.text {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}

			code, stdout, _, _ = dryRun(t, tt.scenario, append(tt.args, "-o", "json")...)
			var doc result.Document
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != tt.exit {
				t.Fatalf("exit %d, not one document (%v):\n%s", code, err, stdout)
			}
			if !doc.DryRun || len(doc.Checks) == 0 {
				t.Fatalf("dry_run %v, %d checks: want a dry run that ran preflight", doc.DryRun, len(doc.Checks))
			}
			if tt.exit != 0 {
				return
			}
			for _, s := range doc.Services {
				p := s.Plan
				if p == nil || len(p.Containers) != 1 || p.CurrentTaskDefinition == "" || p.TaskDefinition == "" || p.Reused != tt.reused {
					t.Fatalf("%s: plan = %+v, want reused=%v", s.Name, p, tt.reused)
				}
				if c := p.Containers[0]; tt.reused != (c.Image == c.PreviousImage) {
					t.Errorf("%s: image %s → %s", s.Name, c.PreviousImage, c.Image)
				}
			}
		})
	}
}

// TestRollbackToRevision: --to-revision of the revision running changes
// nothing and succeeds; of one that does not exist, it is a usage error
// that names the family's revisions.
func TestRollbackToRevision(t *testing.T) {
	tests := []struct {
		name   string
		rev    string
		exit   int
		stderr string
	}{
		{"already running", "1", 0, "already on revision 1"},
		{"does not exist", "9", failure.ExitUsage, "has no revision 9; the ACTIVE revisions of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr, writes := simRun(t, "healthy", "rollback", "--to-revision", tt.rev)
			if code != tt.exit || writes != 0 || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d), %d writes, stderr lacks %q:\nstdout:\n%s\nstderr:\n%s", code, tt.exit, writes, tt.stderr, stdout, stderr)
			}
		})
	}
}

// TestHistoryAndUndo: after two deploys, history lists them newest first
// with their revisions; rollback without --to-revision undoes the last
// one, back to its source revision, and says which deployment it undoes.
func TestHistoryAndUndo(t *testing.T) {
	run := simSession(t, "health-503-then-ok")
	for _, tag := range []string{"v2", "v3"} {
		if code, _, stderr, _ := run("deploy", "--tag", tag); code != 0 {
			t.Fatalf("deploy %s: exit %d\n%s", tag, code, stderr)
		}
	}
	code, stdout, stderr, _ := run("history", "--limit", "2")
	if code != 0 {
		t.Fatalf("history: exit %d\n%s", code, stderr)
	}
	t.Logf("history:\n%s", stdout)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "STARTED") || !strings.Contains(lines[2], "SUCCESSFUL") ||
		!strings.Contains(lines[2], "web:2 → web:3") || !strings.Contains(lines[3], "web:1 → web:2") {
		t.Fatalf("history text:\n%s", stdout)
	}
	if i := strings.Index(lines[1], "STATUS"); i < 0 || strings.Index(lines[2], "SUCCESSFUL") != i {
		t.Errorf("columns not aligned:\n%s", stdout)
	}

	code, stdout, stderr, _ = run("history", "-o", "json")
	var doc result.Document
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 0 || len(doc.History) != 1 {
		t.Fatalf("exit %d, %v:\n%s\n%s", code, err, stdout, stderr)
	}
	if h := doc.History[0]; h.Source != result.HistoryServiceDeployments || len(h.Deployments) != 3 || h.Deployments[0].ARN == "" {
		t.Errorf("history section %+v", h)
	}

	code, _, stderr, _ = run("rollback")
	if code != 0 || !strings.Contains(stderr, "undoing service deployment "+doc.History[0].Deployments[0].ARN) || !strings.Contains(stderr, "-> arn:aws:ecs:us-east-1:123456789012:task-definition/web:2") {
		t.Errorf("rollback: exit %d, stderr:\n%s", code, stderr)
	}
}
