package app

import (
	"bufio"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// logRecord is one line of --log-format json.
type logRecord struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Event string `json:"event"`
}

func logRecords(t *testing.T, stderr string) []logRecord {
	t.Helper()
	var out []logRecord
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r logRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("stderr line is not a JSON record: %v\n%s", err, sc.Text())
		}
		out = append(out, r)
	}
	return out
}

// TestLogFormatJSON: without --verbose every lifecycle event is a record
// (INFO, or WARN/ERROR for warnings and failures); with --verbose debug
// records are added, and none says what an event's record says in
// another shape. Its runs are in-process and not parallel: every run
// writes urfave/cli's shared help flag.
func TestLogFormatJSON(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		verbose  bool
		want     []string // event kinds that must be recorded
	}{
		{name: "healthy", scenario: "healthy", want: []string{"stage_started", "check_finished", "planned", "taskdef_registered",
			"deployment_started", "service_deployment_progress", "health_result", "service_finished", "run_finished"}},
		{name: "crash loop", scenario: "crash-loop", want: []string{"taskdef_registered", "deployment_started", "deployment_progress",
			"diagnosis", "failure", "rollback_started", "service_finished", "run_finished"}},
		{name: "healthy verbose", scenario: "healthy", verbose: true, want: []string{"planned", "taskdef_registered", "deployment_started",
			"health_attempt", "health_result", "service_finished"}},
		{name: "crash loop verbose", scenario: "crash-loop", verbose: true, want: []string{"taskdef_registered", "failure", "rollback_started"}},
	}
	// The messages the stages' own loggers used for what events say.
	repeats := []string{"check finished", "health attempt", "registered task definition", "service updated", "rolled back"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"demo", "--scenario", tt.scenario, "--speed", testSpeed, "--log-format", "json"}
			if tt.verbose {
				args = append(args, "--verbose")
			}
			_, _, stderr := run(t, args...)
			records := logRecords(t, stderr)
			kinds := map[string]int{}
			eventMsgs := map[string]bool{}
			for _, r := range records {
				if r.Event != "" {
					kinds[r.Event]++
					eventMsgs[r.Msg] = true
					if r.Event != "health_attempt" && r.Level == "DEBUG" {
						t.Errorf("event %s is a DEBUG record: hidden without --verbose", r.Event)
					}
				}
			}
			for _, k := range tt.want {
				if kinds[k] == 0 {
					t.Errorf("no %s record; recorded: %v", k, kinds)
				}
			}
			for _, r := range records {
				if r.Event != "" {
					continue
				}
				if r.Level == "INFO" {
					t.Errorf("INFO record without an event: %+v", r)
				}
				if eventMsgs[r.Msg] || slices.Contains(repeats, r.Msg) {
					t.Errorf("record %q repeats an event in another shape", r.Msg)
				}
			}
		})
	}
}
