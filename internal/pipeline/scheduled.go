package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/schedule"
)

// followScheduled moves the ECS targets of each service's scheduled rules
// (config `scheduled:`) to the revision the service runs once the engine
// is done with it: the new one after a deploy that passed, the previous
// one after a rollback (omdeploy's own, or `omdeploy rollback`). A service
// the engine left anywhere else — failed, interrupted, unknown, a dry run —
// is not touched, since nothing says which revision its schedule should
// run. A failure to move a rule leaves the service deployed and fails the
// run at the rollout stage (exit 4), naming the rule; err is the engine's.
func followScheduled(ctx context.Context, o Options, services []deploy.ServiceResult, err error) error {
	if o.Engine.DryRun || ctx.Err() != nil {
		return err
	}
	errs := []error{err}
	for _, svc := range o.Services {
		if len(svc.Scheduled) == 0 {
			continue
		}
		i := resultOf(services, svc.Name)
		if i < 0 {
			continue
		}
		r := &services[i]
		to := ""
		switch {
		case r.Stage == failure.StageDone:
			to = r.TaskDefinition
		case r.RolledBack:
			to = r.PreviousTaskDefinition
		}
		if to == "" {
			continue
		}
		var moved []schedule.Move
		var merr error
		if o.AWS.Events == nil {
			merr = errors.New("no EventBridge client to move the scheduled rules with")
		} else {
			moved, merr = schedule.Retarget(ctx, o.AWS.Events, svc.Scheduled, to, 0)
		}
		for _, m := range moved {
			report(o, event.ServiceEvent{Service: svc.Name, Message: fmt.Sprintf("scheduled rule %s: target %s moved from %s to %s", m.Rule, m.TargetID, shortTaskDef(m.From), shortTaskDef(m.To))})
		}
		if merr == nil {
			continue
		}
		werr := fmt.Errorf("the service runs %s, but its scheduled tasks do not: %w", shortTaskDef(to), merr)
		report(o, event.Failure{Service: svc.Name, Stage: failure.StageRollout, Message: werr.Error()})
		if r.Stage == failure.StageDone {
			r.Stage, r.Error = failure.StageRollout, werr.Error()
		}
		errs = append(errs, failure.New(failure.StageRollout, svc.Name, "", werr))
	}
	return errors.Join(errs...)
}

// resultOf is the index of the result of the service labelled name, or -1.
func resultOf(services []deploy.ServiceResult, name string) int {
	for i, r := range services {
		if r.Name == name {
			return i
		}
	}
	return -1
}

// report sends e, stamped with the run's time as the engine's events are.
func report(o Options, e event.Event) {
	if o.Reporter == nil {
		return
	}
	now := time.Now
	if o.Clock != nil {
		now = o.Clock.Now
	}
	o.Reporter.Report(event.Stamp(e, now()))
}

// shortTaskDef is "family:revision" of a task-definition ARN.
func shortTaskDef(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}
