package report

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

func TestLiveFrames(t *testing.T) {
	now := testStart
	v := newLiveView(now, func() int { return 60 }, palette{})
	at := func(d time.Duration) time.Time { return now.Add(d) }

	v.apply(event.StageStarted{Service: "tech-gateway", Stage: failure.StageRollout}, at(0))
	v.apply(event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/1", RolloutState: "IN_PROGRESS", Desired: 2, Running: 1, Pending: 1}, at(0))
	v.above("09:26:00 [tech-gateway] event: started 2 tasks\n")
	first := v.frame(at(5*time.Second), false)
	if !strings.HasPrefix(first, hideCursor) {
		t.Errorf("first frame does not hide the cursor: %q", first)
	}
	if strings.Contains(first, "\x1b[1A") || strings.Contains(first, "A\x1b[J") {
		t.Errorf("first frame moves up over lines it did not draw: %q", first)
	}
	if !strings.Contains(first, "event: started 2 tasks\n") {
		t.Errorf("queued line missing: %q", first)
	}

	v.apply(event.ServiceFinished{Service: "tech-gateway", OK: true, Stage: failure.StageDone}, at(7*time.Second))
	if !v.due(at(7 * time.Second)) {
		t.Error("a changed view is not due for a frame")
	}
	second := v.frame(at(9*time.Second), false)
	if !strings.HasPrefix(second, cursorUp(2)+clearDown) {
		t.Errorf("second frame does not erase the 2-line block first: %q", second)
	}
	if strings.Contains(second, "event: started") {
		t.Errorf("a line above the block was printed twice: %q", second)
	}
	if v.due(at(9*time.Second + 500*time.Millisecond)) {
		t.Error("an unchanged view is due within the second")
	}
	if !v.due(at(10 * time.Second)) {
		t.Error("the elapsed time is not refreshed after a second")
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(second, cursorUp(2)+clearDown), "\n"), "\n")
	want := []string{
		"omdeploy  0:09",
		"✓ tech-gateway  done       IN_PROGRESS    desired 2  runni…",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("block:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines {
		if n := iostreams.Cells(l); n > 59 {
			t.Errorf("line of %d cells wraps a 60-column terminal: %q", n, l)
		}
	}
	if last := v.frame(at(10*time.Second), true); !strings.HasSuffix(last, showCursor) {
		t.Errorf("last frame does not show the cursor: %q", last)
	}
}

func TestLiveRowStates(t *testing.T) {
	v := newLiveView(testStart, func() int { return 200 }, palette{})
	for _, e := range deployRollback().events {
		v.apply(e, testStart.Add(3*time.Second))
	}
	block := strings.Join(v.block(testStart.Add(10*time.Second)), "\n")
	for _, want := range []string{"checks: 4 pass, 0 fail, 1 warn, 0 skip", "✗ tech-gateway  rollout", "COMPLETED", "desired 2  running 2  pending 0  failed 0", "0:00"} {
		if !strings.Contains(block, want) {
			t.Errorf("block lacks %q:\n%s", want, block)
		}
	}
	v = newLiveView(testStart, func() int { return 200 }, palette{})
	for _, e := range deploySuccess().events {
		v.apply(e, testStart)
	}
	block = strings.Join(v.block(testStart), "\n")
	if !strings.Contains(block, "✓ tech-gateway  done       healthy 2/2") || !strings.Contains(block, "✓ worker") {
		t.Errorf("success block:\n%s", block)
	}
}

// TestLiveRenderer drives the renderer's own redraw loop and checks that
// it ends with one visible cursor, after Finish and after a bare Close.
func TestLiveRenderer(t *testing.T) {
	for _, finish := range []bool{true, false} {
		name := map[bool]string{true: "finish", false: "close only"}[finish]
		t.Run(name, func(t *testing.T) {
			var stderr, stdout syncBuffer
			r := New(Options{IO: iostreams.Test(&stdout, &stderr), Progress: ProgressLive, RedrawEvery: time.Millisecond, Runbook: lookupTestRunbook})
			for _, e := range deployRollback().events {
				r.Report(e)
			}
			if finish {
				if err := r.Finish(deployRollback().doc, deployRollback().err); err != nil {
					t.Fatal(err)
				}
			}
			r.Close()
			r.Close()
			out := stderr.String()
			if h, s := strings.Count(out, hideCursor), strings.Count(out, showCursor); h != 1 || s != 1 || !strings.HasSuffix(out, showCursor) {
				t.Errorf("cursor hidden %d times, shown %d times, output ends %q", h, s, out[max(0, len(out)-20):])
			}
			if !strings.Contains(out, "\x1b[31mFAILED\x1b[0m (rollout)") {
				t.Errorf("failure not shown in colour above the block")
			}
			if strings.Contains(stdout.String(), "\x1b") {
				t.Errorf("escape codes in the stdout summary: %q", stdout.String())
			}
		})
	}
}

func TestClockTime(t *testing.T) {
	tests := map[time.Duration]string{0: "0:00", 59*time.Second + 900*time.Millisecond: "0:59", 61 * time.Second: "1:01", time.Hour + 2*time.Second: "1:00:02", -time.Second: "0:00"}
	for d, want := range tests {
		if got := clockTime(d); got != want {
			t.Errorf("clockTime(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestWriterKeepsTheBlockWhole: a log line written while the live view
// runs goes above the block, whole, at the next frame.
func TestWriterKeepsTheBlockWhole(t *testing.T) {
	var stderr syncBuffer
	r := New(Options{IO: iostreams.Test(io.Discard, &stderr), Progress: ProgressLive, RedrawEvery: time.Hour})
	w := r.Writer()
	r.Report(event.StageStarted{Service: "svc", Stage: failure.StageRollout})
	if _, err := w.Write([]byte("level=DEBUG msg=\"poll\" ")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("attempt=3\n")); err != nil {
		t.Fatal(err)
	}
	if stderr.String() != "" {
		t.Fatalf("written before the next frame: %q", stderr.String())
	}
	r.Close()
	out := stderr.String()
	if !strings.Contains(out, clearDown+"level=DEBUG msg=\"poll\" attempt=3\n") || !strings.HasSuffix(out, showCursor) {
		t.Errorf("log line not printed whole above the block: %q", out)
	}
	if _, err := w.Write([]byte("after\n")); err != nil || !strings.HasSuffix(stderr.String(), "after\n") {
		t.Errorf("after Close the writer does not write through: %v %q", err, stderr.String())
	}
}

// TestLiveViewMeasuresCells lays out rows whose names are full-width or
// emoji: every line fits the terminal in cells, and the stage column starts
// at the same cell in every row.
func TestLiveViewMeasuresCells(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		width int
	}{
		{"full-width name", []string{"web", "日本語サービス"}, 40},
		{"emoji name", []string{"api", "🚀-launcher"}, 40},
		{"narrow terminal", []string{"日本語サービス", "web"}, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newLiveView(testStart, func() int { return tt.width }, palette{})
			for _, n := range tt.names {
				v.apply(event.StageStarted{Service: n, Stage: failure.StageRollout}, testStart)
			}
			lines := v.block(testStart.Add(3 * time.Second))
			var stageAt []int
			for _, l := range lines {
				if n := iostreams.Cells(l); n > tt.width-1 {
					t.Errorf("line of %d cells wraps a %d-column terminal: %q", n, tt.width, l)
				}
				if i := strings.Index(l, "rollout"); i >= 0 {
					stageAt = append(stageAt, iostreams.Cells(l[:i]))
				}
			}
			if tt.width >= 40 && (len(stageAt) != len(tt.names) || stageAt[0] != stageAt[1]) {
				t.Errorf("stage column at cells %v, want one column for %d rows:\n%s", stageAt, len(tt.names), strings.Join(lines, "\n"))
			}
		})
	}
}
