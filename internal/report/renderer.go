package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/internal/result"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Output formats of --output.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// Progress is how events are shown on stderr while a run works.
type Progress string

// Progress styles. The command layer picks one: JSON for --log-format json,
// Live for an interactive terminal with colours allowed, Plain otherwise.
const (
	ProgressPlain Progress = "plain" // timestamped lines, no escape codes
	ProgressLive  Progress = "live"  // a per-service view redrawn in place
	ProgressJSON  Progress = "json"  // one slog record per event
)

// DefaultRedrawEvery caps the live view at ten redraws a second.
const DefaultRedrawEvery = 100 * time.Millisecond

// Options choose the views of one run.
type Options struct {
	// IO is where the result (Out) and progress (Err) go, and how wide the
	// terminal is; nil: both discarded.
	IO       *iostreams.IO
	Output   string   // OutputText or OutputJSON
	Progress Progress // default ProgressPlain
	Verbose  bool     // show every health attempt
	// Logger receives the records of ProgressJSON; nil: a JSON handler on
	// Stderr. Its level decides whether debug records (attempts) appear.
	Logger *slog.Logger
	// RedrawEvery is the live view's redraw period; default
	// DefaultRedrawEvery.
	RedrawEvery time.Duration
	// GitHub enables the GitHub Actions views.
	GitHub GitHub
	// Runbook finds the cause and fix of a failure; default runbook.Lookup.
	// Tests pass a fixed catalogue so their golden files stay stable.
	Runbook func(id string) (runbook.Entry, bool)
}

// Renderer is the run's event.Reporter: it shows events as they come and
// writes the final result once. It is safe for concurrent use. Call Close
// when the run ends, also on paths that never reach Finish, so a live view
// stops and the terminal's cursor comes back.
type Renderer struct {
	opts Options
	text textView // palette is on only while the live view runs
	log  *slog.Logger

	mu       sync.Mutex
	live     *liveView     // nil unless ProgressLive and not yet closed
	stop     chan struct{} // closed when the live view ends
	gh       *actionsLog   // nil unless GitHub Actions and not JSON progress
	shown    shownFailures
	failures []event.Failure // every failure shown, for the step summary
	finished bool
}

// New builds a Renderer. With ProgressLive it starts the redraw loop, which
// Close (or Finish) stops.
func New(opts Options) *Renderer {
	if opts.Output == "" {
		opts.Output = OutputText
	}
	if opts.Progress == "" {
		opts.Progress = ProgressPlain
	}
	if opts.IO == nil {
		opts.IO = iostreams.Test(io.Discard, io.Discard)
	}
	if opts.RedrawEvery <= 0 {
		opts.RedrawEvery = DefaultRedrawEvery
	}
	if opts.Runbook == nil {
		opts.Runbook = runbook.Lookup
	}
	r := &Renderer{opts: opts, shown: shownFailures{}, text: textView{cat: opts.Runbook, verbose: opts.Verbose}}
	switch opts.Progress {
	case ProgressJSON:
		r.log = opts.Logger
		if r.log == nil {
			r.log = slog.New(slog.NewJSONHandler(opts.IO.Err, nil))
		}
	case ProgressLive:
		r.text.pal = palette{on: true}
		r.live = newLiveView(time.Now(), opts.IO.ErrWidth, r.text.pal)
		r.stop = make(chan struct{})
		go r.redrawLoop(r.stop)
	}
	if opts.GitHub.Enabled && opts.Progress != ProgressJSON {
		// Workflow commands would break a stream of JSON records.
		r.gh = &actionsLog{cat: opts.Runbook}
	}
	return r
}

// Report shows one event. Every view shows the event's own time; an event
// reported without one is stamped here, on arrival.
func (r *Renderer) Report(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e = event.Stamp(e, time.Now())
	r.shown.note(e)
	if f, ok := e.(event.Failure); ok {
		r.failures = append(r.failures, f)
	}
	r.show(e)
}

// show sends e, stamped, to the progress view; r.mu is held. The live
// view's block runs on the renderer's clock, like its elapsed times; the
// lines it prints carry the event's time.
func (r *Renderer) show(e event.Event) {
	switch {
	case r.log != nil:
		logEvent(r.log, e, r.opts.Runbook)
	case r.live != nil:
		r.live.apply(e, time.Now())
		if text := r.text.eventText(e); text != "" && !r.live.inBlock(e) {
			r.live.above(stamp(event.At(e), text, r.text.pal))
		}
	default:
		var b strings.Builder
		r.gh.before(&b, e)
		if text := r.text.eventText(e); text != "" {
			b.WriteString(stamp(event.At(e), text, r.text.pal))
		}
		r.gh.after(&b, e)
		io.WriteString(r.opts.IO.Err, b.String())
	}
}

// Finish writes the final result once: failures no event showed yet (a
// config error, a failure only the returned error knows of), the GitHub
// Actions step summary and outputs, and on stdout the JSON document or the
// text summary. It stops the live view. err is the error the document was
// built from (result.New): its failures carry the runbook IDs and fixes the
// document has no place for.
func (r *Renderer) Finish(doc result.Document, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return errors.New("report: finish called twice")
	}
	r.finished = true
	for _, f := range runFailures(doc, err) {
		if r.shown.has(f) {
			continue
		}
		f.At = time.Now()
		r.shown.note(f)
		r.failures = append(r.failures, f)
		r.show(f)
	}
	if r.log != nil {
		logFinished(r.log, time.Now(), doc)
	}
	r.stopLive()
	var errs []error
	if r.gh != nil {
		var b strings.Builder
		r.gh.end(&b)
		io.WriteString(r.opts.IO.Err, b.String())
	}
	if r.opts.GitHub.Enabled {
		errs = append(errs, r.opts.GitHub.write(doc, r.failures, r.opts.Runbook))
	}
	errs = append(errs, r.writeResult(doc))
	return errors.Join(errs...)
}

func (r *Renderer) writeResult(doc result.Document) error {
	if r.opts.Output == OutputJSON {
		enc := json.NewEncoder(r.opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("write json document: %w", err)
		}
		return nil
	}
	if _, err := io.WriteString(r.opts.IO.Out, Summary(doc)); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// Close stops the live view, leaving its last frame on screen and the
// cursor visible. It is safe to call more than once and after Finish;
// events reported after it are shown as plain lines.
func (r *Renderer) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLive()
}

// stopLive draws the last frame and ends the redraw loop; r.mu is held.
// The loop notices at its next tick; it never draws once live is nil.
func (r *Renderer) stopLive() {
	if r.live == nil {
		return
	}
	io.WriteString(r.opts.IO.Err, r.live.frame(time.Now(), true))
	r.live = nil
	r.text.pal = palette{}
	close(r.stop)
}

func (r *Renderer) redrawLoop(stop <-chan struct{}) {
	t := time.NewTicker(r.opts.RedrawEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.mu.Lock()
			if r.live != nil && r.live.due(time.Now()) {
				io.WriteString(r.opts.IO.Err, r.live.frame(time.Now(), false))
			}
			r.mu.Unlock()
		}
	}
}

// stamp puts the time before the first line of text and aligns the others
// under it.
func stamp(at time.Time, text string, p palette) string {
	ts := at.UTC().Format("15:04:05")
	pad := strings.Repeat(" ", len(ts)+1)
	return p.dim(ts) + " " + strings.ReplaceAll(text, "\n", "\n"+pad) + "\n"
}
