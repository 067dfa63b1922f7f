//go:build unix

package report

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// TestLiveViewOnPseudoTerminal renders a failing deploy on a real
// pseudo-terminal: stderr is detected as a terminal of the right width, the
// block is redrawn in place, and the final screen shows every line once and
// the block in its final state, with the cursor visible.
func TestLiveViewOnPseudoTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	const rows, cols = 80, 120
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	streams := iostreams.System(tty, tty, func(string) (string, bool) { return "", false })
	if !streams.ErrTTY || !streams.Color {
		t.Fatal("the pseudo-terminal is not detected as a colour terminal")
	}
	if w := streams.ErrWidth(); w != cols {
		t.Fatalf("width = %d, want %d", w, cols)
	}

	var raw bytes.Buffer
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(&raw, ptmx)
		copied <- err
	}()

	// The terminal's I/O does not run on a synctest bubble's clock, so this
	// test runs on the wall clock: the events carry their times, one
	// second apart, and the block's elapsed times are whatever passed.
	sc := deployRollback()
	r := New(Options{IO: streams, Progress: ProgressLive,
		Runbook: lookupTestRunbook, RedrawEvery: time.Millisecond})
	for i, e := range sc.events {
		r.Report(event.Stamp(e, testStart.Add(time.Duration(i+1)*time.Second)))
		waitForFrame(t, r)
	}
	if err := r.Finish(sc.doc, sc.err); err != nil {
		t.Fatal(err)
	}
	r.Close()
	tty.Close()
	// Once the terminal side is closed, reading the master fails with EIO.
	if err := <-copied; err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatalf("read pty: %v", err)
	}

	out := raw.String()
	ups := regexp.MustCompile(`\r\x1b\[\d+A\x1b\[J`).FindAllString(out, -1)
	if len(ups) < 10 {
		t.Errorf("the block was redrawn in place %d times, want one per event (>= 10)", len(ups))
	}
	if !strings.Contains(out, hideCursor) {
		t.Error("cursor never hidden")
	}

	s := newScreen(rows, cols)
	s.write(out)
	if !s.cursorOn {
		t.Error("the cursor is left hidden")
	}
	final := s.text()
	for _, want := range []string{
		"09:26:17 [tech-gateway] diagnosis: 3 tasks of the new deployment stopped",
		"               | FATAL: DATABASE_URL is not set",
		"09:26:18 [tech-gateway] FAILED (rollout): deployment ecs-svc/3333 FAILED",
		"           fix:   1. Read the stopped tasks' reasons and logs shown above.",
		"deploy: failed at stage rollout, exit code 4",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("final screen lacks %q:\n%s", want, final)
		}
	}
	for _, want := range []string{
		`omdeploy  \d+:\d\d  checks: 4 pass, 0 fail, 1 warn, 0 skip`,
		`✗ tech-gateway  rollout    COMPLETED      desired 2  running 2  pending 0  failed 0  \d+:\d\d`,
	} {
		if !regexp.MustCompile(want).MatchString(final) {
			t.Errorf("final screen lacks %s:\n%s", want, final)
		}
	}
	for _, once := range []string{"✗ tech-gateway", "omdeploy  0:", "FAILED (rollout)", "rolling back"} {
		if n := strings.Count(final, once); n != 1 {
			t.Errorf("%q is on the final screen %d times, want once (stale frames not erased?):\n%s", once, n, final)
		}
	}
	// The block sits below the lines above it and above the summary.
	if i, j, k := strings.Index(final, "failed at stage rollout\n"), strings.Index(final, "✗ tech-gateway"), strings.Index(final, "deploy: failed"); !(i < j && j < k) {
		t.Errorf("order of lines, block and summary is wrong:\n%s", final)
	}
}

// waitForFrame waits until the redraw loop has drawn what was reported.
func waitForFrame(t *testing.T, r *Renderer) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		drawn := r.live == nil || !r.live.dirty
		r.mu.Unlock()
		if drawn {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the live view did not redraw within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
