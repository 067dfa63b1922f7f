package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// run plays a scenario through a renderer built from opts, in a synctest
// bubble from testStart on, and returns what it wrote to stderr and stdout.
func run(t *testing.T, sc scenario, opts Options) (stderr, stdout string) {
	t.Helper()
	var errBuf, outBuf syncBuffer
	synctest.Test(t, func(t *testing.T) {
		toTestStart()
		opts.IO, opts.Runbook = iostreams.Test(&outBuf, &errBuf), lookupTestRunbook
		r := New(opts)
		defer r.Close()
		play(r, sc.events)
		time.Sleep(time.Nanosecond) // the run ends just after its last event
		if err := r.Finish(sc.doc, sc.err); err != nil {
			t.Fatalf("Finish: %v", err)
		}
	})
	return errBuf.String(), outBuf.String()
}

func TestPlainOutput(t *testing.T) {
	for _, sc := range allScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			stderr, stdout := run(t, sc, Options{})
			if strings.Contains(stderr+stdout, "\x1b") {
				t.Error("plain output contains an escape code")
			}
			if strings.Contains("\n"+stderr, "\n::") {
				t.Error("plain output outside GitHub Actions contains a workflow command")
			}
			golden(t, "plain-"+sc.name, stderr+"--- stdout ---\n"+stdout)
		})
	}
}

// TestViewsShowTheEventsTime reports an event that happened two hours
// before it arrived, and one without a time, which arrives at 09:26:02:
// every view shows the first at its own time, and the second at its
// arrival.
func TestViewsShowTheEventsTime(t *testing.T) {
	tests := []struct {
		progress       Progress
		early, arrived string // in the output, colours removed
	}{
		{ProgressPlain, "07:26:00 warning: early", "09:26:02 warning: on arrival"},
		{ProgressJSON, `"time":"2025-03-14T07:26:00Z","level":"WARN","msg":"warning","event":"warning","message":"early"`,
			`"time":"2025-03-14T09:26:02Z","level":"WARN","msg":"warning","event":"warning","message":"on arrival"`},
		{ProgressLive, "07:26:00 warning: early", "09:26:02 warning: on arrival"},
	}
	colour := regexp.MustCompile(`\x1b\[\d+m`)
	for _, tt := range tests {
		t.Run(string(tt.progress), func(t *testing.T) {
			sc := scenario{
				events: []event.Event{event.Warning{At: testStart.Add(-2 * time.Hour), Message: "early"}, event.Warning{Message: "on arrival"}},
				doc:    result.New("deploy", nil, 0),
			}
			stderr, _ := run(t, sc, Options{Progress: tt.progress})
			stderr = colour.ReplaceAllString(stderr, "")
			for _, want := range []string{tt.early, tt.arrived} {
				if !strings.Contains(stderr, want) {
					t.Errorf("output lacks %q:\n%q", want, stderr)
				}
			}
		})
	}
}

func TestPlainVerboseShowsAttempts(t *testing.T) {
	sc := deploySuccess()
	quiet, _ := run(t, sc, Options{})
	loud, _ := run(t, sc, Options{Verbose: true})
	const attempt = "GET https://tech.example.com/healthz attempt 1: 503"
	if strings.Contains(quiet, attempt) {
		t.Errorf("attempt shown without --verbose:\n%s", quiet)
	}
	if !strings.Contains(loud, attempt) || !strings.Contains(loud, "request id omd-1") {
		t.Errorf("attempt with its request id missing with --verbose:\n%s", loud)
	}
}

// TestFailureShownOnce: a failure both reported as an event and returned
// as the error is shown once; one only the error knows is shown at the end
// with its cause and fix.
func TestFailureShownOnce(t *testing.T) {
	tests := []struct {
		name      string
		sc        scenario
		wantCount int
	}{
		{"event and error", deployRollback(), 1},
		{"error only", configError(), 1},
		{"failed check and error", preflightFailure(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr, _ := run(t, tt.sc, Options{})
			if got := strings.Count(stderr, "FAILED ("); got != tt.wantCount {
				t.Errorf("FAILED blocks = %d, want %d:\n%s", got, tt.wantCount, stderr)
			}
			if tt.wantCount == 0 {
				return
			}
			id := failuresOf(tt.sc.err)[0].RunbookID
			if !strings.Contains(stderr, testRunbook[id].Diagnosis) || !strings.Contains(stderr, "omdeploy runbook "+id) {
				t.Errorf("cause or runbook reference of %s missing:\n%s", id, stderr)
			}
		})
	}
}

// TestFailureTextComesFromRunbook uses the real catalogue: the cause and
// the fix printed are the entry's own text, as `omdeploy runbook` shows.
func TestFailureTextComesFromRunbook(t *testing.T) {
	var stderr bytes.Buffer
	r := New(Options{IO: iostreams.Test(io.Discard, &stderr)})
	r.Report(event.Failure{Stage: failure.StageConfig, Message: "bad key", RunbookID: runbook.ConfigInvalid})
	entry, _ := runbook.Lookup(runbook.ConfigInvalid)
	for _, want := range []string{entry.Diagnosis, entry.Fix, "omdeploy runbook " + runbook.ConfigInvalid} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("failure text lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestGitHubActions(t *testing.T) {
	for _, sc := range allScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			summary, outputs := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
			// The runner's files may hold earlier steps' lines: append.
			if err := os.WriteFile(outputs, []byte("earlier=step\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			stderr, stdout := run(t, sc, Options{GitHub: GitHub{Enabled: true, SummaryPath: summary, OutputPath: outputs}})
			sum, err := os.ReadFile(summary)
			if err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(outputs)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), "earlier=step\n") {
				t.Errorf("GITHUB_OUTPUT was overwritten:\n%s", out)
			}
			checkWorkflowCommands(t, stderr)
			golden(t, "github-"+sc.name, "--- stderr ---\n"+stderr+"--- stdout ---\n"+stdout+
				"--- $GITHUB_STEP_SUMMARY ---\n"+string(sum)+"--- $GITHUB_OUTPUT ---\n"+string(out))
		})
	}
}

// checkWorkflowCommands checks what the runner parses: groups balance, and
// every annotation is one line with no raw newline in it.
func checkWorkflowCommands(t *testing.T, stderr string) {
	t.Helper()
	depth := 0
	for _, line := range strings.Split(stderr, "\n") {
		switch {
		case strings.HasPrefix(line, "::group::"):
			if depth != 0 {
				t.Errorf("nested group at %q", line)
			}
			depth++
		case line == "::endgroup::":
			depth--
		case strings.HasPrefix(line, "::error ") || strings.HasPrefix(line, "::warning "):
			if !strings.Contains(line, " title=") || strings.Count(line, "::") != 2 {
				t.Errorf("malformed annotation %q", line)
			}
		}
	}
	if depth != 0 {
		t.Errorf("groups do not balance: depth %d at the end", depth)
	}
}

func TestGitHubFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name string
		env  map[string]string
		want GitHub
	}{
		{"not actions", map[string]string{"GITHUB_OUTPUT": "/o"}, GitHub{}},
		{"actions", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": "/o", "GITHUB_STEP_SUMMARY": "/s"}, GitHub{Enabled: true, OutputPath: "/o", SummaryPath: "/s"}},
		{"actions without files", map[string]string{"GITHUB_ACTIONS": "true"}, GitHub{Enabled: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GitHubFromEnv(env(tt.env)); got != tt.want {
				t.Errorf("GitHubFromEnv = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, data, property string
	}{
		{"plain", "rollout failed", "rollout failed", "rollout failed"},
		{"percent first", "100%\n", "100%25%0A", "100%25%0A"},
		{"crlf", "a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"separators", "tech-gateway: rollout, health", "tech-gateway: rollout, health", "tech-gateway%3A rollout%2C health"},
		{"already escaped stays literal", "%0A", "%250A", "%250A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeData(tt.in); got != tt.data {
				t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
			}
			if got := escapeProperty(tt.in); got != tt.property {
				t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.property)
			}
		})
	}
}

func TestWriteOutput(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"one line", "ecs-svc/1", "id=ecs-svc/1\n"},
		{"empty", "", "id=\n"},
		{"lines", "a\nb", "id<<OMDEPLOY_EOF\na\nb\nOMDEPLOY_EOF\n"},
		{"value holds the delimiter", "x\nOMDEPLOY_EOF", "id<<OMDEPLOY_EOF_1\nx\nOMDEPLOY_EOF\nOMDEPLOY_EOF_1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeOutput(&b, "id", tt.value)
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}

func TestOutputsNameEachServiceWhenSeveral(t *testing.T) {
	out := outputs(deploySuccess().doc)
	for _, want := range []string{"tech-gateway-deployment-id=ecs-svc/1111\n", "worker-task-definition-arn=" + arnWorker8 + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("outputs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\ndeployment-id=") {
		t.Errorf("an unprefixed deployment-id is ambiguous with several services:\n%s", out)
	}
	one := outputs(deployRollback().doc)
	if !strings.Contains(one, "\ndeployment-id=ecs-svc/3333\n") || !strings.Contains(one, "result=failure\nexit-code=4\n") {
		t.Errorf("single-service outputs:\n%s", one)
	}
	var services []serviceOutput
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, outputServices+"="); ok {
			if err := json.Unmarshal([]byte(v), &services); err != nil {
				t.Fatalf("services output is not JSON: %v", err)
			}
		}
	}
	if len(services) != 2 || services[1].DeploymentID != "ecs-svc/2222" || !services[1].OK {
		t.Errorf("services output = %+v", services)
	}
}

func TestJSONLog(t *testing.T) {
	for _, sc := range []scenario{deploySuccess(), deployRollback()} {
		t.Run(sc.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			// GitHub Actions too: workflow commands must not break the JSON stream.
			_, stdout := run(t, sc, Options{Progress: ProgressJSON, Logger: logger, Output: OutputJSON, GitHub: GitHub{Enabled: true}})
			golden(t, "jsonlog-"+sc.name, logs.String())

			kinds := map[string]map[string]any{}
			lines := bufio.NewScanner(&logs)
			for lines.Scan() {
				var rec map[string]any
				if err := json.Unmarshal(lines.Bytes(), &rec); err != nil {
					t.Fatalf("not a JSON record: %q: %v", lines.Text(), err)
				}
				if rec[KeyEvent] == nil || rec["time"] == nil || rec["msg"] == nil {
					t.Errorf("record lacks event, time or msg: %v", rec)
				}
				kinds[fmt.Sprint(rec[KeyEvent])] = rec
			}
			want := map[string][]string{
				"check_finished":     {KeyCheck, KeyStatus},
				"deployment_started": {KeyService, KeyCluster, KeyDeploymentID, KeyTaskDef},
				"run_finished":       {KeyOK, KeyExitCode, KeyStage},
			}
			if sc.doc.OK {
				want["health_attempt"] = []string{KeyService, KeyURL, KeyAttempt, KeyRequestID, KeyStatusCode}
			} else {
				want["failure"] = []string{KeyService, KeyStage, KeyRunbookID, KeyCause, KeyFix}
			}
			for kind, keys := range want {
				rec, ok := kinds[kind]
				if !ok {
					t.Errorf("no %s record", kind)
					continue
				}
				for _, k := range keys {
					if v, ok := rec[k]; !ok || v == "" {
						t.Errorf("%s record lacks %s: %v", kind, k, rec)
					}
				}
			}
			var doc result.Document
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
			}
		})
	}
}

func TestJSONLogLevels(t *testing.T) {
	var logs bytes.Buffer
	r := New(Options{Progress: ProgressJSON, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	r.Report(event.HealthAttempt{Service: "s", URL: "https://x/healthz", Attempt: 1, StatusCode: 503})
	r.Report(event.Warning{Service: "s", Message: "slow"})
	if strings.Contains(logs.String(), "health attempt") {
		t.Errorf("debug record written at info level:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("warning not at WARN:\n%s", logs.String())
	}
}

// TestOutputJSON: stdout holds exactly one document; progress goes to
// stderr.
func TestOutputJSON(t *testing.T) {
	for _, sc := range allScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			stderr, stdout := run(t, sc, Options{Output: OutputJSON})
			dec := json.NewDecoder(strings.NewReader(stdout))
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("stdout: %v\n%s", err, stdout)
			}
			if dec.More() {
				t.Error("stdout holds more than one document")
			}
			for _, k := range []string{"schema", "command", "ok", "exit_code", "stage", "checks", "services", "duration_ns"} {
				if _, ok := doc[k]; !ok {
					t.Errorf("document lacks %q", k)
				}
			}
			if doc["ok"] != sc.doc.OK || int(doc["exit_code"].(float64)) != sc.doc.ExitCode {
				t.Errorf("ok/exit_code = %v/%v, want %v/%d", doc["ok"], doc["exit_code"], sc.doc.OK, sc.doc.ExitCode)
			}
			if len(sc.events) > 0 && stderr == "" {
				t.Error("no progress on stderr")
			}
		})
	}
}

func TestFinishTwice(t *testing.T) {
	r := New(Options{})
	if err := r.Finish(configError().doc, configError().err); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(configError().doc, configError().err); err == nil {
		t.Error("second Finish did not fail")
	}
}

// TestConcurrentReports runs under -race: services report in parallel.
func TestConcurrentReports(t *testing.T) {
	for _, p := range []Progress{ProgressPlain, ProgressLive, ProgressJSON} {
		t.Run(string(p), func(t *testing.T) {
			var stderr syncBuffer
			r := New(Options{IO: iostreams.Test(io.Discard, &stderr), Progress: p, GitHub: GitHub{Enabled: true}, RedrawEvery: 1})
			defer r.Close()
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					for _, e := range deploySuccess().events {
						if s, ok := e.(event.DeploymentProgress); ok {
							s.Service += string(rune('a' + i))
							e = s
						}
						r.Report(e)
					}
				})
			}
			wg.Wait()
			if err := r.Finish(deploySuccess().doc, deploySuccess().err); err != nil {
				t.Fatal(err)
			}
			r.Report(event.Warning{Message: "after finish"}) // must not panic or redraw
			if !strings.Contains(stderr.String(), "after finish") {
				t.Error("an event after Finish was lost")
			}
		})
	}
}

func TestProgressFor(t *testing.T) {
	tests := []struct {
		name    string
		logJSON bool
		streams *iostreams.IO
		want    Progress
	}{
		{"colour terminal", false, iostreams.TestTerminal(io.Discard, io.Discard, nil), ProgressLive},
		{"pipe or CI", false, iostreams.Test(io.Discard, io.Discard), ProgressPlain},
		{"terminal without colour (--no-color, NO_COLOR, TERM=dumb)", false, func() *iostreams.IO {
			s := iostreams.TestTerminal(io.Discard, io.Discard, nil)
			s.DisableColor()
			return s
		}(), ProgressPlain},
		{"--log-format json wins", true, iostreams.TestTerminal(io.Discard, io.Discard, nil), ProgressJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ProgressFor(tt.logJSON, tt.streams); got != tt.want {
				t.Errorf("ProgressFor = %s, want %s", got, tt.want)
			}
		})
	}
}
