package report

import (
	"context"
	"errors"

	"github.com/omdeploy/omdeploy/internal/result"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// failuresOf lists the failures in err's tree as events, so a failure only
// the returned error knows of is shown like one a stage reported. Only the
// innermost *failure.Error of each branch counts: an outer one wrapping it
// describes the same failure.
func failuresOf(err error) []event.Failure {
	if err == nil {
		return nil
	}
	var out []event.Failure
	for _, fe := range failure.All(err) {
		var inner *failure.Error
		if errors.As(fe.Err, &inner) {
			continue
		}
		id := fe.RunbookID
		if id == "" && errors.Is(fe.Err, context.Canceled) {
			id = runbook.Interrupted
		}
		out = append(out, event.Failure{Service: fe.Service, Stage: fe.Stage, Message: fe.Err.Error(), RunbookID: id, Fix: fe.Fix})
	}
	if len(out) == 0 {
		f := event.Failure{Message: err.Error()}
		if errors.Is(err, context.Canceled) {
			f.RunbookID = runbook.Interrupted
		}
		out = append(out, f)
	}
	return out
}

// runFailures are the failures of a run that ended with err and doc: those
// in err, else one made of doc.Error for a document built without its error.
func runFailures(doc result.Document, err error) []event.Failure {
	if err != nil {
		return failuresOf(err)
	}
	if doc.Error == "" {
		return nil
	}
	stage := doc.Stage
	if stage == failure.StageDone {
		stage = ""
	}
	return []event.Failure{{Stage: stage, Message: doc.Error}}
}

// shownFailures remembers which failures the progress view has shown, so a
// failure a stage reported and the error the command returned appear once.
// A failure matches by stage, service and runbook ID, or by stage and
// service alone, since the event and the error may name the entry
// differently (or one may name none).
type shownFailures map[string]bool

func (s shownFailures) add(stage failure.Stage, service, runbookID string) {
	s[string(stage)+"\x00"+service] = true
	s[string(stage)+"\x00"+service+"\x00"+runbookID] = true
}

func (s shownFailures) has(f event.Failure) bool {
	return s[string(f.Stage)+"\x00"+f.Service] || s[string(f.Stage)+"\x00"+f.Service+"\x00"+f.RunbookID]
}

// note records what e shows of a failure.
func (s shownFailures) note(e event.Event) {
	switch e := e.(type) {
	case event.Failure:
		s.add(e.Stage, e.Service, e.RunbookID)
	case event.CheckFinished:
		if e.Status == event.StatusFail {
			s.add(failure.StagePreflight, e.Service, e.RunbookID)
		}
	case event.TargetHealth:
		// Progress: the rollout's failure is reported on its own.
	case event.StageStarted, event.Planned, event.TaskDefinitionRegistered, event.DeploymentStarted, event.DeploymentProgress, event.ServiceDeploymentProgress, event.LifecycleHookReleased,
		event.ServiceEvent, event.Diagnosis, event.RollbackStarted, event.HealthAttempt, event.HealthResult, event.Warning,
		event.ServiceFinished, event.TaskStarted, event.TaskLog, event.TaskFinished:
		// No failure of their own: a failed rollout or health check is
		// also reported as a Failure.
	}
}
