package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// Escape sequences of the live view (ECMA-48 / VT100), understood by every
// terminal omdeploy expects to run in.
const (
	hideCursor = "\x1b[?25l"
	showCursor = "\x1b[?25h"
	clearDown  = "\x1b[J" // erase from the cursor to the end of the screen
)

// cursorUp moves to the first column n lines up.
func cursorUp(n int) string { return fmt.Sprintf("\r\x1b[%dA", n) }

// liveView is the terminal view: lines that stay (events, failures) printed
// above a block with one row per service, which each frame erases and
// draws again. It is not safe for concurrent use; the Renderer locks.
type liveView struct {
	start    time.Time
	width    func() int
	pal      palette
	stage    failure.Stage // the latest run-wide stage
	checks   map[string]int
	rows     []*serviceRow // in order of first appearance
	byName   map[string]*serviceRow
	pending  strings.Builder // lines to print above the block at the next frame
	drawn    int             // lines of the block now on screen
	dirty    bool
	lastDraw time.Time
	started  bool // the cursor is hidden
}

// serviceRow is what the block shows of one service.
type serviceRow struct {
	name                             string
	stage                            failure.Stage
	deployment, state                string
	desired, running, pending, fails int32
	counted                          bool   // a DeploymentProgress arrived
	targets                          string // the new tasks' targets, while the rollout is in progress
	healthy, healthDone              int
	start, end                       time.Time
	finished, ok                     bool
}

func newLiveView(start time.Time, width func() int, pal palette) *liveView {
	return &liveView{start: start, width: width, pal: pal, checks: map[string]int{}, byName: map[string]*serviceRow{}}
}

// inBlock reports whether e is shown only through the block, not as a line
// above it: progress counts and stage changes would otherwise flood the
// screen with what the block already says.
func (v *liveView) inBlock(e event.Event) bool {
	switch e.(type) {
	case event.DeploymentProgress, event.ServiceDeploymentProgress, event.StageStarted:
		return true
	case event.TargetHealth:
		return true // the row names the targets' health
	case event.CheckFinished, event.Planned, event.TaskDefinitionRegistered, event.DeploymentStarted, event.ServiceEvent, event.LifecycleHookReleased,
		event.Diagnosis, event.RollbackStarted, event.HealthAttempt, event.HealthResult, event.Failure, event.Warning,
		event.ServiceFinished, event.TaskStarted, event.TaskLog, event.TaskFinished:
		// Shown as lines above the block.
	}
	return false
}

// above queues text (ending in a newline) to print above the block.
func (v *liveView) above(text string) {
	v.pending.WriteString(text)
	v.dirty = true
}

// apply updates the block's state from e.
func (v *liveView) apply(e event.Event, now time.Time) {
	v.dirty = true
	switch e := e.(type) {
	case event.StageStarted:
		if e.Service == "" {
			v.stage = e.Stage
			return
		}
		v.row(e.Service, now).stage = e.Stage
	case event.CheckFinished:
		v.checks[e.Status]++
	case event.DeploymentStarted:
		r := v.row(e.Service, now)
		r.deployment, r.state, r.counted = e.DeploymentID, "", false
		if e.Rollback {
			r.stage = failure.StageRollback
		}
	case event.DeploymentProgress:
		r := v.row(e.Service, now)
		r.deployment, r.state, r.counted = e.DeploymentID, e.RolloutState, true
		r.desired, r.running, r.pending, r.fails = e.Desired, e.Running, e.Pending, e.Failed
	case event.ServiceDeploymentProgress:
		r := v.row(e.Service, now)
		r.deployment, r.state, r.counted = lastPart(e.ARN), sdLiveText(e), false
	case event.TargetHealth:
		v.row(e.Service, now).targets = "targets " + e.Targets.Text()
	case event.RollbackStarted:
		v.row(e.Service, now).stage = failure.StageRollback
	case event.HealthResult:
		r := v.row(e.Service, now)
		r.healthDone++
		if e.OK {
			r.healthy++
		}
	case event.ServiceFinished:
		r := v.row(e.Service, now)
		r.finished, r.ok, r.end = true, e.OK, now
		if e.Stage != "" {
			r.stage = e.Stage
		}
	case event.Planned, event.TaskDefinitionRegistered, event.ServiceEvent, event.LifecycleHookReleased, event.Diagnosis, event.HealthAttempt,
		event.Failure, event.Warning, event.TaskStarted, event.TaskLog, event.TaskFinished:
		// Shown only as lines above the block.
	}
}

func (v *liveView) row(name string, now time.Time) *serviceRow {
	if name == "" {
		name = "-"
	}
	r, ok := v.byName[name]
	if !ok {
		r = &serviceRow{name: name, start: now}
		v.byName[name] = r
		v.rows = append(v.rows, r)
	}
	return r
}

// due reports whether a frame should be drawn: something changed, or a
// second passed and the elapsed times moved on.
// Nothing is drawn before the first event, so a command that reports
// nothing leaves the terminal alone.
func (v *liveView) due(now time.Time) bool {
	return v.dirty || (v.started && now.Sub(v.lastDraw) >= time.Second)
}

// frame erases the block, prints the queued lines and draws the block
// again, as one string so the terminal never shows half a frame. The last
// frame leaves the block on screen and the cursor visible.
func (v *liveView) frame(now time.Time, last bool) string {
	var b strings.Builder
	if !v.started {
		b.WriteString(hideCursor)
		v.started = true
	}
	if v.drawn > 0 {
		b.WriteString(cursorUp(v.drawn))
	}
	b.WriteString(clearDown)
	b.WriteString(v.pending.String())
	v.pending.Reset()
	lines := v.block(now)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	v.drawn = len(lines)
	if last {
		b.WriteString(showCursor)
	}
	v.dirty, v.lastDraw = false, now
	return b.String()
}

// block is the header and one row per service, each cut to the terminal's
// width so no line wraps: a wrapped line would throw off the count of lines
// the next frame moves up.
func (v *liveView) block(now time.Time) []string {
	width := v.width() - 1
	head := "omdeploy  " + clockTime(now.Sub(v.start))
	if v.stage != "" && len(v.rows) == 0 {
		// Once services have rows, they say where the run is.
		head += "  " + string(v.stage)
	}
	if n := v.checks[event.StatusPass] + v.checks[event.StatusFail] + v.checks[event.StatusWarn] + v.checks[event.StatusSkip]; n > 0 {
		head += fmt.Sprintf("  checks: %d pass, %d fail, %d warn, %d skip",
			v.checks[event.StatusPass], v.checks[event.StatusFail], v.checks[event.StatusWarn], v.checks[event.StatusSkip])
	}
	lines := []string{v.pal.dim(iostreams.Truncate(head, width))}
	nameWidth := 0
	for _, r := range v.rows {
		nameWidth = max(nameWidth, iostreams.Cells(r.name))
	}
	for _, r := range v.rows {
		glyph := v.pal.yellow("•")
		switch {
		case r.finished && r.ok:
			glyph = v.pal.green("✓")
		case r.finished:
			glyph = v.pal.red("✗")
		}
		lines = append(lines, glyph+" "+iostreams.Truncate(r.text(now, nameWidth), width-2))
	}
	return lines
}

func (r *serviceRow) text(now time.Time, nameWidth int) string {
	stage := string(r.stage)
	if stage == "" {
		stage = "waiting"
	}
	state := r.state
	if r.healthDone > 0 && (r.stage == failure.StageHealth || r.stage == failure.StageDone) {
		state = fmt.Sprintf("healthy %d/%d", r.healthy, r.healthDone)
	}
	s := fmt.Sprintf("%s  %-9s  %-13s", iostreams.PadRight(r.name, nameWidth), stage, state)
	if r.counted {
		s += fmt.Sprintf("  desired %d  running %d  pending %d  failed %d", r.desired, r.running, r.pending, r.fails)
	}
	end := now
	if r.finished {
		end = r.end
	}
	s += "  " + clockTime(end.Sub(r.start))
	if r.targets != "" && r.stage == failure.StageRollout && !r.finished {
		s += "  " + r.targets
	}
	return s
}

// clockTime formats d as m:ss, or h:mm:ss from an hour on.
func clockTime(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
