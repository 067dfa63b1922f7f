package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/preflight"
)

const (
	flagImage         = "image"
	flagTag           = "tag"
	flagForceNew      = "force-new-deployment"
	flagDryRun        = "dry-run"
	flagSkipPreflight = "skip-preflight"
	flagNoRollback    = "no-rollback"
	flagParallel      = "parallel"
	flagPollInterval  = "poll-interval"
	flagPollMax       = "poll-max"
	flagLogLines      = "log-lines"
)

// engineFlags are shared by the commands that follow deployments.
func engineFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: flagParallel, Value: deploy.DefaultParallel, EnvVars: []string{"OMDEPLOY_PARALLEL"}, Usage: "services registering and updating at once; rollouts in flight are followed together, one poller per cluster"},
		&cli.DurationFlag{Name: flagPollInterval, Value: deploy.DefaultPollInterval, Usage: "poll interval while a deployment is young"},
		&cli.DurationFlag{Name: flagPollMax, Value: deploy.DefaultPollMax, Usage: "the poll interval grows to at most this"},
		&cli.IntFlag{Name: flagLogLines, Value: deploy.DefaultLogLines, Usage: "CloudWatch log lines shown per stopped container"},
	}
}

func deployCommand() *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "deploy",
		Usage: "deploy a new image (or force a new deployment), follow it, verify health, roll back on failure",
		Description: `Runs preflight, registers a task-definition revision that differs only in the target
container's image, updates the service, follows that deployment to COMPLETED, FAILED or timeout,
verifies the health endpoints, and rolls back to the previous revision on failure.

EXAMPLES:
   omdeploy deploy --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2
   omdeploy deploy --tag "$GITHUB_SHA" --service tech-gateway
   omdeploy deploy --force-new-deployment           # same revision, fresh tasks
   omdeploy deploy --tag v2 --dry-run               # show the change, write nothing`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flagImage, Usage: "replace the target container's image with `REPO:TAG`"},
			&cli.StringFlag{Name: flagTag, Usage: "replace only the tag of the current image with `TAG`"},
			&cli.BoolFlag{Name: flagForceNew, Usage: "start a new deployment even when the task definition is unchanged"},
			&cli.BoolFlag{Name: flagDryRun, Usage: "print the change and write nothing"},
			&cli.BoolFlag{Name: flagSkipPreflight, Usage: "do not run the preflight checklist first"},
			&cli.BoolFlag{Name: flagNoRollback, Usage: "leave a failed deployment as it is"},
			&cli.BoolFlag{Name: flagStrict, Usage: "preflight warnings fail too"},
			&cli.BoolFlag{Name: flagForce, Usage: "deploy even when a deployment is already in progress"},
		}, engineFlags()...),
		Action: func(c *cli.Context) error {
			return runEngine(c, true, deploy.Deploy)
		},
	})
}

// runEngine is the shared body of deploy, wait and rollback: build the
// clients, bind preflight and health, call one deploy function, render.
func runEngine(c *cli.Context, withPreflight bool, fn func(context.Context, deploy.Options) (deploy.Result, error)) error {
	env, ctx, cancel, err := setup(c, true)
	defer cancel()
	if err != nil {
		return env.fail(err)
	}
	clients, awsErr := env.clients(ctx)
	preflightOn := withPreflight && !c.Bool(flagSkipPreflight) && !c.Bool(flagDryRun)
	if awsErr != nil && !preflightOn {
		return env.fail(failure.New(failure.StagePreflight, "", "", awsErr))
	}
	opts := deploy.Options{
		Services:           env.services,
		Image:              c.String(flagImage),
		Tag:                c.String(flagTag),
		ForceNewDeployment: c.Bool(flagForceNew),
		DryRun:             c.Bool(flagDryRun),
		NoRollback:         c.Bool(flagNoRollback),
		ToRevision:         c.Int(flagToRevision),
		Parallel:           c.Int(flagParallel),
		Poll:               deploy.PollPolicy{Interval: c.Duration(flagPollInterval), Max: c.Duration(flagPollMax)},
		LogLines:           c.Int(flagLogLines),
		Health:             healthcheck.New(healthcheck.Options{Reporter: env.renderer, Logger: env.logger}),
		Reporter:           env.renderer,
		Logger:             env.logger,
	}
	if clients != nil {
		opts.ECS, opts.Region = clients.ECS, clients.Region
		opts.Logs = func(region string) deploy.LogsAPI { return clients.LogsIn(region) }
	}
	if preflightOn {
		opts.Preflight = bindPreflight(c, env, clients, awsErr)
	}
	if awsErr != nil {
		// Preflight explains the credential failure with its fix and stops.
		checks, err := opts.Preflight(ctx)
		return env.finishRun(checks, nil, err)
	}
	res, err := fn(ctx, opts)
	return env.finishRun(res.Checks, res.Services, err)
}

func bindPreflight(c *cli.Context, env *runEnv, clients *awsx.Clients, awsErr error) deploy.PreflightFunc {
	return func(ctx context.Context) ([]preflight.Check, error) {
		return preflight.Run(ctx, preflight.Options{
			Config:          env.cfg,
			Services:        env.services,
			Clients:         clients,
			AWSErr:          awsErr,
			Strict:          c.Bool(flagStrict),
			AllowInProgress: c.Bool(flagForce),
			Reporter:        env.renderer,
			Logger:          env.logger,
		})
	}
}
