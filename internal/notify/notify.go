// Package notify announces a deploy to chat and to other systems: a Slack
// incoming webhook or any URL that takes omdeploy's JSON payload, at the
// run's start, its end (success or failure) and each rollback. It listens
// to the run's event stream like a view does, and a notification that
// cannot be sent is a warning on that stream, never a failed deploy.
//
// Webhook URLs are credentials: whoever holds one can post. They appear in
// no output; messages name a target by its scheme and host only (Redact).
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// Defaults bounding each notification. A chat message is worth a few
// seconds of a deploy, not minutes: three attempts, each cut at
// DefaultAttemptTimeout, the whole send at DefaultSendTimeout.
const (
	DefaultAttemptTimeout = 5 * time.Second
	DefaultSendTimeout    = 15 * time.Second
	DefaultRetries        = 2 // after the first attempt
	// DefaultDrainTimeout is how long Finish waits for the messages still
	// queued before it gives them up, so that a hanging endpoint cannot
	// hold the end of a run.
	DefaultDrainTimeout = 30 * time.Second
)

// Run is what a notification says about the run, known before it starts.
type Run struct {
	Actor    actor.Actor
	Account  string // the config's account_id; empty when not set
	Region   string
	Services []config.Service
	Image    string // --image, when given
	Tag      string // --tag, when given
}

// Options configure a Notifier. Zero durations take the defaults.
type Options struct {
	Targets  []config.NotifyTarget
	Run      Run
	Reporter event.Reporter // where a failed send is warned about; nil: nowhere

	HTTPClient     *http.Client // nil: one with AttemptTimeout; tests may pass their own
	AttemptTimeout time.Duration
	SendTimeout    time.Duration
	DrainTimeout   time.Duration
	Retries        int           // attempts after the first; 0 means DefaultRetries, <0 none
	RetryWaitMin   time.Duration // default 250ms
	RetryWaitMax   time.Duration // default 2s
}

// Notifier sends the run's notifications, in order, from one goroutine so
// that a slow webhook never holds up the events the views are waiting for.
// It is an event.Reporter: add it to the run's reporters. A nil *Notifier
// (no targets) does nothing.
type Notifier struct {
	opts   Options
	client *sender

	mu       sync.Mutex
	started  bool
	closed   bool
	services map[string]*serviceState // by config label
	queue    chan job
	done     chan struct{}
	base     context.Context
	cancel   context.CancelFunc
}

type job struct {
	moment  string
	payload Payload
}

// serviceState is what the stream said about one service so far.
type serviceState struct {
	OldImage, NewImage     string
	OldTaskDef, NewTaskDef string
	Finished, OK           bool
	Stage                  failure.Stage
}

// New returns a Notifier for the targets, or nil when there are none.
func New(opts Options) *Notifier {
	if len(opts.Targets) == 0 {
		return nil
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = DefaultAttemptTimeout
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = DefaultSendTimeout
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = DefaultRetries
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = 250 * time.Millisecond
	}
	if opts.RetryWaitMax <= 0 {
		opts.RetryWaitMax = 2 * time.Second
	}
	if opts.Reporter == nil {
		opts.Reporter = event.Nop{}
	}
	n := &Notifier{
		opts:     opts,
		client:   newSender(opts),
		services: map[string]*serviceState{},
		queue:    make(chan job, 64),
		done:     make(chan struct{}),
	}
	for _, s := range opts.Run.Services {
		n.services[s.Name] = &serviceState{}
	}
	return n
}

// Start announces the run and starts the sender. ctx is the run's: its
// values are kept, not its cancellation, so that an interrupted run is
// still announced as failed.
func (n *Notifier) Start(ctx context.Context) {
	if n == nil {
		return
	}
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return
	}
	n.started = true
	n.base, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	n.mu.Unlock()
	go n.loop()
	n.enqueue(config.NotifyStart, "", nil)
}

// Report follows the run's events: the plan and the registered revision
// say what is deployed, a rollback is announced, a finished service is
// kept for the end.
func (n *Notifier) Report(e event.Event) {
	if n == nil {
		return
	}
	switch e := e.(type) {
	case event.Planned:
		if e.DryRun {
			return
		}
		n.update(e.Service, func(s *serviceState) {
			s.OldImage, s.NewImage, s.OldTaskDef = e.OldImage, e.NewImage, e.CurrentTaskDef
			if e.NewTaskDef != "" {
				s.NewTaskDef = e.NewTaskDef
			}
		})
	case event.TaskDefinitionRegistered:
		n.update(e.Service, func(s *serviceState) { s.NewTaskDef = e.ARN })
	case event.ServiceFinished:
		n.update(e.Service, func(s *serviceState) { s.Finished, s.OK, s.Stage = true, e.OK, e.Stage })
	case event.RollbackStarted:
		n.enqueue(config.NotifyRollback, e.Service, func(p *Payload) {
			p.Rollback = &Change{Old: e.From, New: e.To}
		})
	}
}

func (n *Notifier) update(service string, fn func(*serviceState)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.services[service]
	if !ok {
		s = &serviceState{}
		n.services[service] = s
	}
	fn(s)
}

// Finish announces how the run ended (err is its error, nil on success)
// and waits for every queued notification, at most DrainTimeout.
func (n *Notifier) Finish(err error) {
	if n == nil {
		return
	}
	moment := config.NotifySuccess
	if err != nil {
		moment = config.NotifyFailure
	}
	n.enqueue(moment, "", func(p *Payload) {
		code := failure.ExitCode(err)
		p.ExitCode = &code
		p.Stage = string(failure.StageDone)
		if st, ok := failure.StageOf(err); ok {
			p.Stage = string(st)
		} else if err != nil {
			p.Stage = ""
		}
		if err != nil {
			p.Error = err.Error()
		}
	})
	n.mu.Lock()
	if n.closed || !n.started {
		n.mu.Unlock()
		return
	}
	n.closed = true
	close(n.queue)
	n.mu.Unlock()
	timer := time.AfterFunc(n.opts.DrainTimeout, n.cancel)
	defer timer.Stop()
	<-n.done
	n.cancel()
}

// enqueue builds the payload of moment now, while the state is the one
// the moment saw, and queues it for the targets that want it.
func (n *Notifier) enqueue(moment, service string, fill func(*Payload)) {
	wanted := slices.ContainsFunc(n.opts.Targets, func(t config.NotifyTarget) bool { return t.Wants(moment) })
	n.mu.Lock()
	defer n.mu.Unlock()
	if !wanted || !n.started || n.closed {
		return
	}
	p := n.payload(moment, service)
	if fill != nil {
		fill(&p)
	}
	n.queue <- job{moment: moment, payload: p}
}

func (n *Notifier) loop() {
	defer close(n.done)
	for j := range n.queue {
		for _, t := range n.opts.Targets {
			if !t.Wants(j.moment) {
				continue
			}
			if err := n.client.send(n.base, t, j.payload); err != nil {
				n.opts.Reporter.Report(event.Warning{Service: j.payload.Service,
					Message: fmt.Sprintf("notification to %s (%s) failed: %v", t.Kind, Redact(t.URL), err)})
			}
		}
	}
}

// Redact is how a webhook URL is shown: its scheme and host, the path
// masked, no user info or query. The path (or query) is the secret of a
// Slack or most other incoming webhooks.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(webhook URL not shown)"
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		out += "/…"
	}
	return out
}

// scrub removes every form of the target's URL from a message, so that a
// library that quotes the URL in an error cannot leak it.
func scrub(msg, raw string) string {
	if raw == "" {
		return msg
	}
	red := Redact(raw)
	msg = strings.ReplaceAll(msg, raw, red)
	if u, err := url.Parse(raw); err == nil {
		for _, s := range []string{u.String(), u.EscapedPath(), u.Path, u.RawQuery} {
			if len(s) > 1 {
				msg = strings.ReplaceAll(msg, s, "/…")
			}
		}
	}
	return msg
}

// errSendFailed is the cause of every failed send.
var errSendFailed = errors.New("not delivered")
