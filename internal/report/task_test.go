package report

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

// TestTaskLogInEveryView: a release task's log lines appear in every
// progress view, prefixed by the service and the task, without the
// control characters the container wrote.
func TestTaskLogInEveryView(t *testing.T) {
	one := int32(1)
	sc := scenario{
		events: []event.Event{
			event.StageStarted{Service: "api", Stage: failure.StageRelease},
			event.TaskStarted{Service: "api", Task: "migrate", Phase: "release", TaskARN: "arn:aws:ecs:us-east-1:1:task/prod/abc123", TaskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/api:8"},
			event.TaskLog{Service: "api", Task: "migrate", Container: "app", Line: "applying 0042_users\x1b[2J"},
			event.TaskLog{Service: "api", Task: "migrate", Container: "app", Line: "error: relation users exists"},
			event.TaskFinished{Service: "api", Task: "migrate", Phase: "release", OK: false, ExitCode: &one, Reason: "Essential container in task exited", Duration: 12 * time.Second},
		},
		doc: result.New("deploy", nil, 0),
	}
	colour := regexp.MustCompile(`\x1b\[\d+m`)
	tests := []struct {
		name string
		opts Options
		want []string // in order
	}{
		{"plain", Options{}, []string{"[api] release task migrate started: abc123 (api:8)", "[api] migrate | applying 0042_users\n", "[api] migrate | error: relation users exists", "[api] release task migrate failed (exit 1, 12s): Essential container in task exited"}},
		{"live", Options{Progress: ProgressLive}, []string{"[api] migrate | applying 0042_users", "[api] migrate | error: relation users exists", "failed (exit 1"}},
		{"json", Options{Progress: ProgressJSON}, []string{
			`"level":"INFO","msg":"task started","event":"task_started","service":"api","task":"migrate","phase":"release"`,
			`"level":"INFO","msg":"task log","event":"task_log","service":"api","task":"migrate","container":"app","line":"applying 0042_users\u001b[2J"`,
			`"level":"ERROR","msg":"task finished","event":"task_finished","service":"api","task":"migrate"`,
		}},
		{"github actions", Options{GitHub: GitHub{Enabled: true}}, []string{"::group::[api] release", "[api] migrate | applying 0042_users", "[api] migrate | error: relation users exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr, _ := run(t, sc, tt.opts)
			text := colour.ReplaceAllString(stderr, "")
			rest := text
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, text)
				}
				rest = rest[i+len(w):]
			}
			if tt.name != "json" && strings.Contains(text, "\x1b[2J") {
				t.Errorf("a container's escape code reached the terminal:\n%q", text)
			}
			if tt.name == "github actions" && strings.Contains(text, "::error") && strings.Contains(text, "relation users") {
				t.Errorf("a log line became an annotation:\n%s", text)
			}
		})
	}
}
