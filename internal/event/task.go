package event

import "time"

// Events of one-off tasks: a service's release tasks (migrations) before
// its update and post_deploy tasks after its health verification. Task is
// the config's task name, so every view can prefix a line with the
// service and the task it belongs to.

// TaskStarted reports a task RunTask started.
type TaskStarted struct {
	At             time.Time
	Service        string
	Task           string // the config's name, e.g. "migrate"
	Phase          string // "release" or "post_deploy"
	TaskARN        string
	TaskDefinition string
}

// TaskLog is one line a task's container wrote to its awslogs stream,
// shown while the task runs. At is the line's own CloudWatch timestamp.
type TaskLog struct {
	At        time.Time
	Service   string
	Task      string
	Container string
	Line      string
}

// TaskFinished reports how a task ended. ExitCode is the first essential
// container's that did not exit 0, else the first essential container's;
// nil when none ran.
type TaskFinished struct {
	At       time.Time
	Service  string
	Task     string
	Phase    string
	TaskARN  string
	OK       bool
	ExitCode *int32
	Reason   string // the stop reason, or why omdeploy stopped or could not start it
	Duration time.Duration
}

func (TaskStarted) isEvent()  {}
func (TaskLog) isEvent()      {}
func (TaskFinished) isEvent() {}

func (e TaskStarted) at() time.Time  { return e.At }
func (e TaskLog) at() time.Time      { return e.At }
func (e TaskFinished) at() time.Time { return e.At }

func (e TaskStarted) withAt(t time.Time) Event  { e.At = t; return e }
func (e TaskLog) withAt(t time.Time) Event      { e.At = t; return e }
func (e TaskFinished) withAt(t time.Time) Event { e.At = t; return e }
