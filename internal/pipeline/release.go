package pipeline

import (
	"context"
	"errors"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/release"
)

// withTasks sets the engine's hooks that run the services' release tasks
// (between register and update) and post_deploy tasks (after health), on
// the run's clients, clock and event stream. One run ID per deploy makes
// each task's RunTask idempotency token stable for the run.
func withTasks(e deploy.Options, o Options) deploy.Options {
	ropts := release.Options{
		ECS:      o.AWS.Tasks,
		Region:   o.AWS.Region,
		RunID:    release.NewRunID(),
		Clock:    o.Clock,
		Reporter: o.Reporter,
		Logger:   o.Logger,
	}
	if o.AWS.Logs != nil {
		ropts.Logs = func(region string) release.LogsAPI { return o.AWS.Logs(region) }
	}
	hook := func(phase string) deploy.Hook {
		return func(ctx context.Context, s config.Service, taskDef string) error {
			if ropts.ECS == nil {
				return failure.New(release.StageOf(phase), s.Name, "", errors.New("no ECS client to run tasks with"))
			}
			return release.RunAll(ctx, ropts, phase, s, taskDef)
		}
	}
	e.BeforeUpdate = hook(release.PhaseRelease)
	e.AfterHealth = hook(release.PhasePostDeploy)
	return e
}
