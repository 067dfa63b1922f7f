// Package event is the typed stream a run emits while it works. Stages emit;
// renderers in internal/report decide how a person, a CI log or a machine sees
// the same run. No stage prints.
package event

import (
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

// Reporter receives events. Implementations must be safe for concurrent use:
// services and checks run in parallel.
type Reporter interface {
	Report(Event)
}

// Event is one of the types below. Each has an At, when it happened. An
// emitter that knows a better time than "now" (an ECS service event's own
// timestamp) sets it; the others leave it zero and the run's reporter
// stamps it once, with the run's clock (see Stamped), so that the time a
// user sees is the same in every view.
type Event interface {
	isEvent()
	at() time.Time            // the event's At
	withAt(t time.Time) Event // the event with At set to t
}

// StageStarted marks the start of a stage for one service (Service empty for
// run-wide stages such as the identity checks).
type StageStarted struct {
	At      time.Time
	Service string
	Stage   failure.Stage
}

// Check statuses: the JSON contract's, which owns them.
const (
	StatusPass = result.CheckPass
	StatusFail = result.CheckFail
	StatusWarn = result.CheckWarn
	StatusSkip = result.CheckSkip
)

// CheckFinished is one preflight check's result.
type CheckFinished struct {
	At        time.Time
	Service   string
	ID        string // stable check ID, e.g. "ssm.parameters"
	Status    string // StatusPass, StatusFail, StatusWarn or StatusSkip
	Message   string
	Fix       string
	RunbookID string
	Duration  time.Duration
}

// Planned describes the revision a deploy will use, before anything writes.
type Planned struct {
	At                 time.Time
	Service            string
	Container          string
	OldImage, NewImage string
	CurrentTaskDef     string // ARN of the service's current task definition
	NewTaskDef         string // the reused ARN; on a dry run that changes the image, "family:N" that would be registered; else "" (TaskDefinitionRegistered follows)
	Reused             bool   // the new definition equals the current one
	DryRun             bool
	Changes            []result.Change // the new definition against the current one, field by field
}

// TaskDefinitionRegistered reports a new revision.
type TaskDefinitionRegistered struct {
	At      time.Time
	Service string
	ARN     string
}

// DeploymentStarted reports the deployment UpdateService created, the one the
// run follows.
type DeploymentStarted struct {
	At             time.Time
	Service        string
	Cluster        string
	DeploymentID   string
	TaskDefinition string
	Rollback       bool // this deployment is omdeploy's own rollback
}

// DeploymentProgress is emitted when counts or rollout state change.
type DeploymentProgress struct {
	At            time.Time
	Service       string
	DeploymentID  string
	RolloutState  string
	RolloutReason string
	Desired       int32
	Running       int32
	Pending       int32
	Failed        int32
}

// ServiceEvent is a new message from the ECS service's event log.
type ServiceEvent struct {
	At      time.Time
	Service string
	Message string
}

// StoppedTask explains one stopped task of a failed deployment.
type StoppedTask struct {
	TaskID        string
	StoppedReason string
	StopCode      string
	Containers    []StoppedContainer
	RunbookID     string // the known cause, when one matched
	// TargetHealth is the load balancer's last word on the task's target
	// before it stopped (reason: description), or "".
	TargetHealth string
}

// StoppedContainer is one container of a stopped task.
type StoppedContainer struct {
	Name     string
	ExitCode *int32
	Reason   string
	LogGroup string
	LogLines []string // last lines of its CloudWatch log stream
	LogError string   // why the log lines could not be read
}

// Diagnosis says why a deployment failed.
type Diagnosis struct {
	At      time.Time
	Service string
	Summary string
	Tasks   []StoppedTask
}

// RollbackStarted reports that omdeploy is restoring the previous revision.
type RollbackStarted struct {
	At       time.Time
	Service  string
	From, To string
	// Undoes is the service deployment `omdeploy rollback` undoes (its
	// source revision is To); "" for any other rollback.
	Undoes string
}

// HealthAttempt is one HTTP attempt of the health verification.
type HealthAttempt struct {
	At         time.Time
	Service    string
	URL        string
	Attempt    int
	StatusCode int
	Err        string
	RequestID  string
	Duration   time.Duration
}

// HealthResult is the verdict for one endpoint.
type HealthResult struct {
	At         time.Time
	Service    string
	URL        string
	OK         bool
	Attempts   int
	StatusCode int
	Elapsed    time.Duration
	Err        string
	RunbookID  string
}

// Failure is a stage failure. Renderers look up RunbookID for the likely
// cause and the fix, so the text is the same everywhere it is shown.
type Failure struct {
	At        time.Time
	Service   string
	Stage     failure.Stage
	Message   string // what happened
	RunbookID string
	Fix       string // a fix specific to this failure; empty: the runbook's
}

// Warning is something worth a look that does not fail the run.
type Warning struct {
	At      time.Time
	Service string
	Message string
}

// ServiceFinished ends one service's part of the run.
type ServiceFinished struct {
	At      time.Time
	Service string
	OK      bool
	Stage   failure.Stage // the stage reached, StageDone on success
}

func (StageStarted) isEvent()             {}
func (CheckFinished) isEvent()            {}
func (Planned) isEvent()                  {}
func (TaskDefinitionRegistered) isEvent() {}
func (DeploymentStarted) isEvent()        {}
func (DeploymentProgress) isEvent()       {}
func (ServiceEvent) isEvent()             {}
func (Diagnosis) isEvent()                {}
func (RollbackStarted) isEvent()          {}
func (HealthAttempt) isEvent()            {}
func (HealthResult) isEvent()             {}
func (Failure) isEvent()                  {}
func (Warning) isEvent()                  {}
func (ServiceFinished) isEvent()          {}

func (e StageStarted) at() time.Time             { return e.At }
func (e CheckFinished) at() time.Time            { return e.At }
func (e Planned) at() time.Time                  { return e.At }
func (e TaskDefinitionRegistered) at() time.Time { return e.At }
func (e DeploymentStarted) at() time.Time        { return e.At }
func (e DeploymentProgress) at() time.Time       { return e.At }
func (e ServiceEvent) at() time.Time             { return e.At }
func (e Diagnosis) at() time.Time                { return e.At }
func (e RollbackStarted) at() time.Time          { return e.At }
func (e HealthAttempt) at() time.Time            { return e.At }
func (e HealthResult) at() time.Time             { return e.At }
func (e Failure) at() time.Time                  { return e.At }
func (e Warning) at() time.Time                  { return e.At }
func (e ServiceFinished) at() time.Time          { return e.At }

func (e StageStarted) withAt(t time.Time) Event             { e.At = t; return e }
func (e CheckFinished) withAt(t time.Time) Event            { e.At = t; return e }
func (e Planned) withAt(t time.Time) Event                  { e.At = t; return e }
func (e TaskDefinitionRegistered) withAt(t time.Time) Event { e.At = t; return e }
func (e DeploymentStarted) withAt(t time.Time) Event        { e.At = t; return e }
func (e DeploymentProgress) withAt(t time.Time) Event       { e.At = t; return e }
func (e ServiceEvent) withAt(t time.Time) Event             { e.At = t; return e }
func (e Diagnosis) withAt(t time.Time) Event                { e.At = t; return e }
func (e RollbackStarted) withAt(t time.Time) Event          { e.At = t; return e }
func (e HealthAttempt) withAt(t time.Time) Event            { e.At = t; return e }
func (e HealthResult) withAt(t time.Time) Event             { e.At = t; return e }
func (e Failure) withAt(t time.Time) Event                  { e.At = t; return e }
func (e Warning) withAt(t time.Time) Event                  { e.At = t; return e }
func (e ServiceFinished) withAt(t time.Time) Event          { e.At = t; return e }

// At is when e happened: its At field.
func At(e Event) time.Time { return e.at() }

// Stamp returns e with a zero At set to now.
func Stamp(e Event, now time.Time) Event {
	if !e.at().IsZero() {
		return e
	}
	return e.withAt(now)
}

// Stamped passes every event on to r, its zero At set to now() first. A
// run wraps its reporter once, with the clock the user should see, instead
// of every emitter reading a clock of its own.
func Stamped(r Reporter, now func() time.Time) Reporter {
	return Func(func(e Event) { r.Report(Stamp(e, now())) })
}

// Nop discards events.
type Nop struct{}

// Report does nothing.
func (Nop) Report(Event) {}

// Func adapts a function to a Reporter; the function must be safe for
// concurrent use.
type Func func(Event)

// Report calls f.
func (f Func) Report(e Event) { f(e) }

// Recorder keeps every event, for tests and for building the final document.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Report appends e.
func (r *Recorder) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns a copy of what was recorded, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Tee sends every event to each reporter in order.
type Tee []Reporter

// Report forwards e.
func (t Tee) Report(e Event) {
	for _, r := range t {
		r.Report(e)
	}
}

// Of returns the recorded events of type T, for assertions.
func Of[T Event](events []Event) []T {
	var out []T
	for _, e := range events {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
