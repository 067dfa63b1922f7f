// Package pipeline runs omdeploy's stages in order — preflight, then the
// deploy engine (plan, register, update, follow, health, rollback) — from
// one set of options. The CLI and `omdeploy demo` both call it, so the two
// cannot wire the stages differently; a later stage (a plan, release tasks)
// joins here once rather than in every caller.
package pipeline

import (
	"context"
	"errors"
	"log/slog"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/preflight"
)

// Options are one run's inputs. Zero values take each stage's defaults.
type Options struct {
	Config   *config.File
	Services []config.Service // the services this run touches, in config order

	AWS AWS // what the stages call

	// Preflight configures the checklist that runs before anything is
	// written; Skip leaves it out.
	Preflight PreflightOptions

	// Engine carries the deploy engine's own knobs (what to deploy, poll
	// policy, parallelism, rollback). Its Services, AWS, health, clock,
	// reporter and logger fields are set from the fields above and
	// overwritten if set.
	Engine deploy.Options

	Health deploy.HealthChecker // nil: no health stage

	Clock    clock.Clock    // default clock.Real; the demo passes its paced clock
	Reporter event.Reporter // default event.Nop
	Logger   *slog.Logger   // default: discards

	// Actor is who runs the deploy, for notifications and the deploy
	// lock; zero: read from the environment (GITHUB_ACTOR, USER).
	Actor actor.Actor
}

// PreflightOptions are the checklist's knobs that a user chooses.
type PreflightOptions struct {
	Skip            bool // --skip-preflight, or a command that has no preflight
	Strict          bool // warnings fail too
	AllowInProgress bool // a deployment already in progress passes (deploy --force)
	// Registry answers images.exist for registries other than ECR; nil is
	// the anonymous registry v2 client. Tests point it at an httptest server.
	Registry preflight.RegistryAPI

	only []string // the checks to run, nil: all (resolveOnly)
}

// Result is what a run did: the checks, then each service's outcome.
type Result struct {
	Checks   []preflight.Check
	Services []deploy.ServiceResult
}

// Deploy runs preflight (unless skipped) and, when it passes, the deploy
// engine. A preflight failure stops the run before anything is written.
// When the AWS clients could not be built, preflight explains why with its
// fix; with preflight skipped the run fails at the preflight stage all the
// same, since no AWS call can be made.
//
// The config's notify targets hear of the start, each rollback and the end.
func Deploy(ctx context.Context, opts Options) (Result, error) {
	opts.Actor = opts.who()
	n, opts := notifier(opts, opts.Actor)
	n.Start(ctx)
	res, err := deployStages(ctx, opts)
	n.Finish(err)
	return res, err
}

// deployStages is Deploy without the announcements: preflight, the
// services' deploy locks, the engine. The stages share one run's reads
// (sharingReads): a service, a revision or a cluster that preflight and
// the engine both read costs one call.
func deployStages(ctx context.Context, opts Options) (Result, error) {
	var res Result
	opts, reads := opts.sharingReads()
	switch {
	case !opts.Preflight.Skip:
		checks, err := preflightStage(ctx, opts)
		res.Checks = checks
		if err != nil {
			return res, err
		}
	case opts.pinsAny():
		checks, err := resolveOnly(ctx, opts)
		res.Checks = checks
		if err != nil {
			return res, err
		}
	default:
		if err := opts.AWS.Unavailable(); err != nil {
			return res, err
		}
	}
	if err := pinDigests(&opts, res.Checks); err != nil {
		return res, err
	}
	if !opts.Engine.DryRun {
		// After preflight, so a run that would fail its checks never
		// holds the lock; before register, the first write.
		leases, err := acquireLocks(ctx, opts)
		if err != nil {
			return res, err
		}
		defer releaseLocks(ctx, opts, leases)
		if len(leases) > 0 && reads != nil {
			// Until the lock was ours another run may have changed the
			// services: the plan reads them afresh.
			reads.forgetServices()
		}
	}
	dres, err := deploy.Deploy(ctx, withTasks(opts.engine(), opts))
	res.Services = dres.Services
	return res, followScheduled(ctx, opts, res.Services, err)
}

// Preflight runs the checklist alone, as `omdeploy preflight` does. Its
// checks share their reads as a deploy's do.
func Preflight(ctx context.Context, opts Options) ([]preflight.Check, error) {
	opts, _ = opts.sharingReads()
	return preflightStage(ctx, opts)
}

// preflightStage runs the checklist with the clients opts has.
func preflightStage(ctx context.Context, opts Options) ([]preflight.Check, error) {
	if errors.Is(opts.AWS.Err, ErrNoRegion) {
		c := regionCheck()
		if opts.Reporter != nil {
			opts.Reporter.Report(event.CheckFinished{ID: c.ID, Status: c.Status, Message: c.Message, RunbookID: c.RunbookID, Fix: c.Fix})
		}
		return []preflight.Check{c}, opts.AWS.Unavailable()
	}
	checks, err := preflight.Run(ctx, preflight.Options{
		Config:          opts.Config,
		Services:        opts.Services,
		AWS:             opts.AWS.Preflight,
		AWSErr:          opts.AWS.Err,
		Strict:          opts.Preflight.Strict,
		AllowInProgress: opts.Preflight.AllowInProgress,
		RollsBack:       !opts.Engine.NoRollback || opts.Engine.OnCancel == deploy.OnCancelRollback,
		// The images the engine will register, so images.exist checks
		// those and not the ones running now.
		Change:          imageref.Change{Image: opts.Engine.Image, Tag: opts.Engine.Tag, Images: opts.Engine.Images, Tags: opts.Engine.Tags},
		TaskDefinitions: opts.Engine.TaskDefinitions,
		Only:            opts.Preflight.only,
		Registry:        opts.Preflight.Registry,
		Reporter:        opts.Reporter,
		Logger:          opts.Logger,
		Clock:           opts.Clock,
	})
	if err != nil {
		if _, ok := failure.StageOf(err); !ok {
			err = failure.New(failure.StagePreflight, "", "", err)
		}
	}
	return checks, err
}

// Wait follows the services' current deployments with the engine's rules.
func Wait(ctx context.Context, opts Options) (Result, error) {
	return engineOnly(ctx, opts, deploy.Wait)
}

// Continue releases the lifecycle hook each service's deployment waits on
// and follows the rest, as `omdeploy continue` does.
func Continue(ctx context.Context, opts Options) (Result, error) {
	return engineOnly(ctx, opts, deploy.Continue)
}

// Rollback returns the services to an earlier revision and follows that
// deployment.
func Rollback(ctx context.Context, opts Options) (Result, error) {
	res, err := engineOnly(ctx, opts, deploy.Rollback)
	return res, followScheduled(ctx, opts, res.Services, err)
}

// Status describes the services as they run now.
func Status(ctx context.Context, opts Options) ([]deploy.ServiceStatus, error) {
	if err := opts.AWS.Unavailable(); err != nil {
		return nil, err
	}
	return deploy.Status(ctx, opts.engine())
}

// engineOnly runs one engine command that has no preflight: without AWS
// clients it cannot start, and says why at the preflight stage.
func engineOnly(ctx context.Context, opts Options, fn func(context.Context, deploy.Options) (deploy.Result, error)) (Result, error) {
	if err := opts.AWS.Unavailable(); err != nil {
		return Result{}, err
	}
	dres, err := fn(ctx, opts.engine())
	return Result{Services: dres.Services}, err
}

// engine fills the engine's options from the run's shared ones, so every
// stage sees the same services, clients, clock and event stream.
func (o Options) engine() deploy.Options {
	e := o.Engine
	e.Services = o.Services
	e.ECS = o.AWS.ECS
	e.Logs = o.AWS.Logs
	e.ELB = o.AWS.ELB
	e.Region = o.AWS.Region
	e.Profile = o.AWS.Profile
	e.Health = o.Health
	e.Clock = o.Clock
	e.Reporter = o.Reporter
	e.Logger = o.Logger
	return e
}

// History reads the services' recent deployments, as `omdeploy history`
// does.
func History(ctx context.Context, opts Options) ([]deploy.ServiceHistory, error) {
	if err := opts.AWS.Unavailable(); err != nil {
		return nil, err
	}
	return deploy.History(ctx, opts.engine())
}
