package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/release"
)

// taskOptions are the release package's options for this run: its
// clients, clock, event stream and logger, and one run ID, which makes
// each task's RunTask idempotency token stable for the run.
func taskOptions(o Options) release.Options {
	ropts := release.Options{
		ECS:      o.AWS.Tasks,
		Region:   o.AWS.Region,
		RunID:    release.NewRunID(),
		Clock:    o.Clock,
		Reporter: o.Reporter,
		Logger:   o.Logger,
	}
	if ropts.Clock == nil {
		ropts.Clock = clock.Real{}
	}
	if ropts.Reporter == nil {
		ropts.Reporter = event.Nop{}
	}
	// The tasks' events carry the run's time, as the engine's do; a log
	// line keeps its own CloudWatch time.
	ropts.Reporter = event.Stamped(ropts.Reporter, ropts.Clock.Now)
	if o.AWS.Logs != nil {
		ropts.Logs = func(region string) release.LogsAPI { return o.AWS.Logs(region) }
	}
	return ropts
}

// withTasks sets the engine's hooks that run the services' release tasks
// (between register and update) and post_deploy tasks (after health).
func withTasks(e deploy.Options, o Options) deploy.Options {
	ropts := taskOptions(o)
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

// RunTask runs one one-off task for the run's one service, as `omdeploy
// run` does: on the service's current task definition unless the task
// names one, with the release tasks' log streaming, exit-code verdict and
// interrupt handling. A failure is of the release stage (exit 7); the
// service itself is never changed.
func RunTask(ctx context.Context, opts Options, task config.Task) (Result, error) {
	if opts.AWS.Err != nil {
		return Result{}, failure.New(failure.StagePreflight, "", "", opts.AWS.Err)
	}
	if len(opts.Services) != 1 {
		return Result{}, failure.New(failure.StageConfig, "", "", fmt.Errorf(
			"a one-off task runs for one service and %d are selected; give --service NAME", len(opts.Services)))
	}
	s := opts.Services[0]
	if s.Name == "" {
		s.Name = s.Service
	}
	ropts := taskOptions(opts)
	res := deploy.ServiceResult{Name: s.Name, Cluster: s.Cluster, Service: s.Service, Stage: failure.StageRelease}
	ropts.Reporter.Report(event.StageStarted{Service: s.Name, Stage: failure.StageRelease})
	err := runOne(ctx, ropts, s, task, &res)
	if err != nil {
		res.Error, res.RunbookID = err.Error(), failure.RunbookIDOf(err)
		var fe *failure.Error
		if errors.As(err, &fe) {
			ropts.Reporter.Report(event.Failure{Service: s.Name, Stage: fe.Stage, Message: fe.Err.Error(), RunbookID: fe.RunbookID, Fix: fe.Fix})
		}
	} else {
		res.Stage = failure.StageDone
	}
	ropts.Reporter.Report(event.ServiceFinished{Service: s.Name, OK: err == nil, Stage: res.Stage})
	return Result{Services: []deploy.ServiceResult{res}}, err
}

// runOne reads the service's task definition when the task names none,
// then runs the task on it.
func runOne(ctx context.Context, ropts release.Options, s config.Service, task config.Task, res *deploy.ServiceResult) error {
	if ropts.ECS == nil {
		return failure.New(failure.StageRelease, s.Name, "", errors.New("no ECS client to run tasks with"))
	}
	taskDef := task.TaskDefinition
	if taskDef == "" {
		cctx, cancel := context.WithTimeout(ctx, release.DefaultCallTimeout)
		out, err := ropts.ECS.DescribeServices(cctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{s.Service}})
		cancel()
		if err == nil && len(out.Services) == 0 {
			err = fmt.Errorf("service %s not found in cluster %s", s.Service, s.Cluster)
		}
		if err != nil {
			return failure.New(failure.StageRelease, s.Name, "", fmt.Errorf("read the task definition of service %s: %w", s.Service, err))
		}
		taskDef = aws.ToString(out.Services[0].TaskDefinition)
	}
	res.TaskDefinition = taskDef
	_, err := release.Run(ctx, ropts, release.PhaseRun, s, task, taskDef)
	return err
}
