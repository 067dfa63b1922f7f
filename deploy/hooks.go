package deploy

import (
	"context"
	"errors"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// Hook is work the pipeline runs for one service at a point of its deploy,
// such as release tasks. taskDef is the revision being deployed. An error
// that is a *failure.Error keeps its stage, runbook entry and fix; any
// other error fails the hook's stage.
type Hook func(ctx context.Context, service config.Service, taskDef string) error

// beforeUpdate runs Options.BeforeUpdate for a service with release tasks,
// after its revision is registered and before UpdateService: when it
// fails, the service is left as it was.
func (sr *serviceRun) beforeUpdate(ctx context.Context, taskDef string) error {
	hook := sr.r.opts.BeforeUpdate
	if hook == nil || len(sr.s.Release) == 0 {
		return nil
	}
	sr.stage(failure.StageRelease)
	return sr.hookFailure(failure.StageRelease, hook(ctx, sr.s, taskDef))
}

// afterHealth runs Options.AfterHealth for a service with post_deploy
// tasks, once its rollout completed and its health passed. A failure is
// a health failure: the service is rolled back to prev (unless
// NoRollback), as when an endpoint fails.
func (sr *serviceRun) afterHealth(ctx context.Context, prev string) error {
	hook := sr.r.opts.AfterHealth
	if hook == nil || len(sr.s.PostDeploy) == 0 {
		return nil
	}
	sr.res.Stage = failure.StageHealth
	err := sr.hookFailure(failure.StageHealth, hook(ctx, sr.s, sr.res.TaskDefinition))
	if err == nil {
		return nil
	}
	return errors.Join(err, sr.rollBack(ctx, prev))
}

// hookFailure reports a hook's error as the service's failure, once.
func (sr *serviceRun) hookFailure(stage failure.Stage, err error) error {
	if err == nil {
		return nil
	}
	var fe *failure.Error
	if !errors.As(err, &fe) {
		return sr.fail(stage, "", err)
	}
	sr.res.RunbookID = fe.RunbookID
	sr.emit(event.Failure{Service: sr.s.Name, Stage: fe.Stage, Message: fe.Err.Error(), RunbookID: fe.RunbookID, Fix: fe.Fix})
	return err
}
