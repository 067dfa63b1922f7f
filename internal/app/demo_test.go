package app

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testSpeed runs the demo's simulated time 20 times faster than a person
// watches it: a ten-second rollout takes half a second.
const testSpeed = "20"

// demoRun runs `omdeploy demo` in-process with args, sped up.
func demoRun(t *testing.T, speed string, args ...string) (int, string, string) {
	t.Helper()
	return run(t, append([]string{"demo", "--speed", speed}, args...)...)
}

// TestDemoScenarios runs every scenario through the real pipeline and checks
// that its exit code, which app.Run derives from the pipeline's error, is
// the one --list documents, and that the output explains the failure with
// the runbook's diagnosis and fix.
//
// In-process runs are sequential: urfave/cli keeps flags in package
// variables.
func TestDemoScenarios(t *testing.T) {
	// What each scenario's output must show besides its runbook entry.
	want := map[string][]string{
		demo.DefaultScenario:    {"[web] done", "[api] done", "[worker] done"},
		"circuit-breaker":       {"rolled back by ECS: Service deployment rolled back because the deployment circuit breaker", "Task failed ELB health checks", "container app exit code 143", `err="redis: connection pool exhausted (size 10)"`},
		"crash-loop":            {"container app exit code 1", `msg="database unreachable"`, "[api] rolling back", "[api] rollback deployment"},
		"phantom-route":         {"/api/health", "404 Not Found", "[web] warn health.contract", "[web] rolling back"},
		"health-503-then-ok":    {"[web] done"},
		"missing-ssm-parameter": {"fail ssm.parameters", "/demo/api/DB_PASSWORD_V2"},
		"missing-image":         {"[web] fail images.exist", "tag missing not found in ECR repository demo/web (account 123456789012, us-east-1)", "aws ecr describe-images"},
		"tracked-secret":        {"fail secrets.gitignore", "git tracks .secrets/db.env", "`git rm -r --cached -- .secrets/db.env`"},
		"expired-token":         {"fail aws.credentials", "ExpiredToken", "aws sso login"},
		"timeout":               {"did not finish within 8s", "[worker] rolling back"},
		// Stages that last seconds of simulated time are milliseconds here,
		// which a poll on a loaded machine can miss: the lines asked for
		// hold for longer.
		"blue-green": {"a time-lapse", "BLUE_GREEN IN_PROGRESS", "prod=0% test=100%", "prod=100% test=100%",
			"BAKE_TIME", "s left", "alarms demo-web-5xx", "BLUE_GREEN SUCCESSFUL CLEAN_UP", "[web] healthy", "[web] done"},
		"canary-alarm-rollback": {"CANARY IN_PROGRESS", "prod=10%", "FIRED demo-web-5xx", "ROLLBACK_SUCCESSFUL",
			"rolled back by ECS: Service deployment rolled back because CloudWatch alarm demo-web-5xx went into ALARM state", "[web] failed at stage rollout"},
		"paused-hook": {"POST_TEST_TRAFFIC_SHIFT", "prod=0% test=100%", "AWAITING_ACTION", "(--wait-until paused)",
			"`omdeploy continue --service web` releases it", "[web] done", "--wait-until paused` runs the same pipeline", "`omdeploy continue --service web` releases the hook"},
		"failed-migration": {"[api] release task migrate started", `[api] migrate | level=error msg="migration failed"`,
			"container app exit code 1", "[api] failed at stage release"},
		"elb-phantom-route": {"[web] warn lb.target-groups", "the load balancer checks /health; omdeploy verifies /healthz",
			"its health check path answers 404", "[web] targets demo-web: 0/1 targets healthy; 1 Target.ResponseCodeMismatch: health checks failed with these codes: [404]",
			"load balancer: Target.ResponseCodeMismatch: Health checks failed with these codes: [404]", "Task failed ELB health checks", "[web] failed at stage rollout"},
	}
	for _, sc := range demo.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			texts, ok := want[sc.Name]
			if !ok {
				t.Fatalf("scenario %s has no expectations in this test", sc.Name)
			}
			code, stdout, stderr := demoRun(t, testSpeed, "--scenario", sc.Name, "--output", "json")
			testenv.ValidDocument(t, stdout)
			var d doc
			if err := json.Unmarshal([]byte(stdout), &d); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s\nstderr:\n%s", err, stdout, stderr)
			}
			if code != sc.Exit || d.ExitCode != code || d.Command != "demo" {
				t.Fatalf("exit %d (document: %d, command %q), --list documents %d\nstderr:\n%s", code, d.ExitCode, d.Command, sc.Exit, stderr)
			}
			if sc.RunbookID != "" {
				texts = append(texts, runbookTexts(t, sc.RunbookID, code)...)
			}
			texts = append(texts, "no AWS calls", "For real: `omdeploy init`")
			for _, s := range texts {
				if !strings.Contains(stderr, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			if sc.Name == "health-503-then-ok" {
				checkRetried(t, stdout)
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", stderr)
			}
		})
	}
}

// runbookTexts is what a failure of entry id shows: the pointer to the
// entry, its fix up to the first placeholder and, for the stages that
// explain a cause, its diagnosis.
func runbookTexts(t *testing.T, id string, code int) []string {
	t.Helper()
	e, ok := runbook.Lookup(id)
	if !ok {
		t.Fatalf("no runbook entry %s", id)
	}
	fix, _, _ := strings.Cut(e.Fix, "{")
	fix, _, _ = strings.Cut(fix, "\n")
	out := []string{"omdeploy runbook " + id, fix}
	if code == failure.ExitRollout || code == failure.ExitHealth {
		out = append(out, "cause: "+e.Diagnosis)
	}
	return out
}

// checkRetried checks the 503 window really happened: each endpoint passed
// after more than one attempt.
func checkRetried(t *testing.T, stdout string) {
	t.Helper()
	var d struct {
		Services []struct {
			Health []struct {
				URL        string `json:"url"`
				OK         bool   `json:"ok"`
				Attempts   int    `json:"attempts"`
				StatusCode int    `json:"status_code"`
			} `json:"health"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil || len(d.Services) != 1 || len(d.Services[0].Health) != 2 {
		t.Fatalf("document: %v\n%s", err, stdout)
	}
	for _, h := range d.Services[0].Health {
		if !h.OK || h.StatusCode != 200 || h.Attempts < 2 {
			t.Errorf("%s: ok=%v status=%d after %d attempt(s); want 200 after at least one 503", h.URL, h.OK, h.StatusCode, h.Attempts)
		}
	}
}

func TestDemoList(t *testing.T) {
	code, stdout, _ := run(t, "demo", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, sc := range demo.Scenarios() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(sc.Name) + ` +` + fmt.Sprint(sc.Exit) + `  \S`).MatchString(stdout) {
			t.Errorf("--list does not name %s with exit code %d:\n%s", sc.Name, sc.Exit, stdout)
		}
	}
}

func TestDemoUnknownScenario(t *testing.T) {
	code, stdout, stderr := run(t, "demo", "--scenario", "no-such-thing")
	if code != failure.ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, failure.ExitUsage, stderr)
	}
	out := stdout + stderr
	for _, sc := range demo.Scenarios() {
		if !strings.Contains(out, sc.Name) {
			t.Errorf("the error does not list %s:\n%s", sc.Name, out)
		}
	}
	if strings.Contains(out, "For real") {
		t.Errorf("a demo that did not run names a real command:\n%s", out)
	}
}

// TestDemoWithoutGit hides git: the demo still deploys, with the secrets
// check warning, and only the scenario that shows a git state refuses.
func TestDemoWithoutGit(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	tests := []struct {
		scenario string
		exit     int
		want     string
	}{
		{demo.DefaultScenario, failure.ExitOK, "warn secrets.gitignore  git is not installed"},
		{"tracked-secret", failure.ExitUsage, "git is not installed"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			code, _, stderr := demoRun(t, testSpeed, "--scenario", tt.scenario)
			if code != tt.exit || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d (want %d), output should contain %q:\n%s", code, tt.exit, tt.want, stderr)
			}
		})
	}
}

// TestDemoPlainGolden compares the plain output of the default demo (stderr
// progress, stdout summary) with testdata/demo-plain.golden. Regenerate
// with: go test ./internal/app -run TestDemoPlainGolden -update
//
// It runs at a lower speed than the scenario tests so that every rollout
// state is polled once even on a loaded machine; demoNormalize explains
// what it makes stable.
func TestDemoPlainGolden(t *testing.T) {
	code, stdout, stderr := demoRun(t, "5")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := "--- stderr ---\n" + demoCanonical(stderr) + "--- stdout ---\n" + demoNormalize(stdout)
	testenv.Golden(t, filepath.Join("testdata", "demo-plain.golden"), got, *update)
}

// What varies between two demo runs, and what replaces it: the wall-clock
// stamp of each line, durations, the health server's port, deployment and
// task IDs (the simulator draws them from one counter the services share,
// so which service gets which depends on scheduling) and the temporary
// workspace's path.
var demoVarying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d `), ""},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`ecs-svc/\d+`), "ecs-svc/ID"},
	{regexp.MustCompile(`service deployment \d{20}\b`), "service deployment ID"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "TASK"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s)\b`), "DUR"},
	{regexp.MustCompile(`\S*omdeploy-demo-\d+\S*`), "WORKSPACE"},
}

func demoNormalize(s string) string {
	for _, v := range demoVarying {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

var (
	demoCheckLine   = regexp.MustCompile(`^(\[\S+\] )?(pass|fail|warn|skip) `)
	demoServiceLine = regexp.MustCompile(`^\[(\S+)\] `)
	demoHealthLine  = regexp.MustCompile(`^\[\S+\] (un)?healthy `)
)

// demoCanonical normalizes the progress lines and puts those that
// concurrent work prints in any order into one order: the preflight checks
// (run concurrently) sorted, then each service's lines in its own order,
// services by name, with the verdicts of its endpoints (checked
// concurrently) sorted. Lines before the checks and run-wide lines after
// them keep their place. Indented lines stay with the line they continue.
func demoCanonical(stderr string) string {
	var entries []string
	for _, line := range strings.SplitAfter(demoNormalize(stderr), "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, " ") && len(entries) > 0 {
			entries[len(entries)-1] += line
			continue
		}
		entries = append(entries, line)
	}
	var head, checks, tail []string
	byService := map[string][]string{}
	for _, e := range entries {
		switch m := demoServiceLine.FindStringSubmatch(e); {
		case demoCheckLine.MatchString(e):
			checks = append(checks, e)
		case m != nil:
			byService[m[1]] = append(byService[m[1]], e)
		case len(checks) == 0:
			head = append(head, e)
		default:
			tail = append(tail, e)
		}
	}
	slices.Sort(checks)
	out := append(head, checks...)
	for _, name := range slices.Sorted(maps.Keys(byService)) {
		lines := byService[name]
		for i := 0; i < len(lines); {
			j := i
			for j < len(lines) && demoHealthLine.MatchString(lines[j]) {
				j++
			}
			slices.Sort(lines[i:j])
			i = max(j, i+1)
		}
		out = append(out, lines...)
	}
	return strings.Join(append(out, tail...), "")
}
