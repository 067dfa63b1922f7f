// Package report turns a run's events and results into what people and
// machines read: plain lines, a live terminal view, GitHub Actions
// annotations and summaries, and the JSON document of the contract.
package report

import (
	"time"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/preflight"
)

// Document is the JSON contract: exactly one is written to stdout when a
// command ends with --output json. Field names are never renamed.
type Document struct {
	Command  string                 `json:"command"`
	OK       bool                   `json:"ok"`
	ExitCode int                    `json:"exit_code"`
	Stage    failure.Stage          `json:"stage"`
	Error    string                 `json:"error,omitempty"`
	Checks   []preflight.Check      `json:"checks"`
	Services []deploy.ServiceResult `json:"services"`
	Duration time.Duration          `json:"duration_ns"`
	// Extra carries command-specific data (status, runbook) that does not
	// fit the deploy shape; omitted when empty.
	Extra any `json:"extra,omitempty"`

	// failures are the run's failures with their runbook IDs, so Finish can
	// show the cause and fix of those no event reported. Not in the JSON.
	failures []event.Failure
}

// NewDocument builds the document for a finished command. The stage is the
// failing one, or "done"; the exit code comes from failure.ExitCode.
func NewDocument(command string, checks []preflight.Check, services []deploy.ServiceResult, err error, took time.Duration) Document {
	d := Document{
		Command:  command,
		OK:       err == nil,
		ExitCode: failure.ExitCode(err),
		Stage:    failure.StageDone,
		Checks:   checks,
		Services: services,
		Duration: took,
	}
	if d.Checks == nil {
		d.Checks = []preflight.Check{}
	}
	if d.Services == nil {
		d.Services = []deploy.ServiceResult{}
	}
	for i := range d.Services {
		if d.Services[i].Health == nil {
			d.Services[i].Health = []healthcheck.Result{}
		}
	}
	if err != nil {
		d.Error = err.Error()
		if d.Stage = failure.WorstStage(err); d.Stage == "" {
			d.Stage = failure.StageDone
		}
		d.failures = failuresOf(err)
	}
	return d
}
