package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/pipeline"
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
		&cli.IntFlag{Name: flagParallel, Value: deploy.DefaultParallel, EnvVars: []string{"OMDEPLOY_PARALLEL"}, Usage: "`N` services registering and updating at once; rollouts in flight are followed together, one poller per cluster"},
		&cli.DurationFlag{Name: flagPollInterval, Value: deploy.DefaultPollInterval, Usage: "poll every `DURATION` while a deployment is young"},
		&cli.DurationFlag{Name: flagPollMax, Value: deploy.DefaultPollMax, Usage: "the poll interval grows to at most `DURATION`"},
		&cli.IntFlag{Name: flagLogLines, Value: deploy.DefaultLogLines, Usage: "show the last `N` CloudWatch log lines per stopped container"},
	}
}

func deployCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "deploy",
		Usage: "deploy a new image (or force a new deployment), follow it, verify health, roll back on failure",
		Description: `Runs preflight, registers a task-definition revision that differs only in the target
container's image (or, for a service with task_definition: in the config, the revision that file
describes, with the image flags applied), updates the service, follows that deployment to COMPLETED, FAILED or timeout,
verifies the health endpoints, and rolls back to the previous revision on failure.

EXAMPLES:
   omdeploy deploy --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2
   omdeploy deploy --tag "$GITHUB_SHA" --service tech-gateway
   omdeploy deploy --image app=repo/app:v2 --image worker=repo/worker:v2   # two containers, one revision
   omdeploy deploy --tag "$GITHUB_SHA" --pin-digest # register app:SHA@sha256:..., immutable
   omdeploy deploy --force-new-deployment           # same revision, fresh tasks
   omdeploy deploy --tag v2 --dry-run               # show the change, write nothing
   omdeploy deploy --tag v2 --dry-run --detailed-exitcode   # exit 8 when something would change`,
		Flags: append(append(imageFlags("replace the target container's image with `REPO:TAG`", "replace only the tag of the current image with `TAG`"),
			&cli.BoolFlag{Name: flagForceNew, Usage: "start a new deployment even when the task definition is unchanged"},
			pinDigestFlag(),
			&cli.BoolFlag{Name: flagDryRun, Usage: "run the read-only preflight checks and print the plan (image per container, the revision that would be registered, the fields it changes); write nothing"},
			detailedExitcodeFlag(),
			&cli.BoolFlag{Name: flagSkipPreflight, Usage: "do not run the preflight checklist first"},
			&cli.BoolFlag{Name: flagNoRollback, Usage: "leave a failed deployment as it is"},
			&cli.BoolFlag{Name: flagStrict, Usage: "preflight warnings fail too"},
			&cli.BoolFlag{Name: flagForce, Usage: "deploy even when a deployment is already in progress"},
			waitUntilFlag(),
			onCancelFlag(),
		), engineFlags()...),
		Action: runPipeline(d, pipeline.Deploy),
	}, viewFlags, configFlags, awsFlags)
}

// runPipeline is the action of deploy, wait and rollback: map the flags to
// pipeline options, run one pipeline function, render.
func runPipeline(d deps, fn func(context.Context, pipeline.Options) (pipeline.Result, error)) cli.ActionFunc {
	return action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
		if _, err := changeFlags(c); err != nil {
			return env.fail(err)
		}
		opts := env.pipelineOptions(ctx, c)
		if c.Command.Name == "deploy" { // wait and rollback register nothing: a broken file must not stop them
			tds, err := taskDefinitions(env.services)
			if err != nil {
				return env.fail(err)
			}
			opts.Engine.TaskDefinitions = tds
		}
		res, err := fn(ctx, opts)
		doc := env.document(err)
		doc.Checks, doc.Services, doc.DryRun = res.Checks, res.Services, c.Bool(flagDryRun)
		if !doc.DryRun {
			return env.finish(doc, err) // --detailed-exitcode asks about a plan only
		}
		return env.finishDetailed(c, doc, err)
	})
}

// pipelineOptions maps the command's flags to the pipeline's plain
// options; flags a command does not define read as their zero value.
func (env *runEnv) pipelineOptions(ctx context.Context, c *cli.Context) pipeline.Options {
	rep := env.reporter()
	ch, _ := changeFlags(c) // the action has refused a malformed one
	return pipeline.Options{
		Config:   env.cfg,
		Services: env.services,
		AWS:      env.deps.aws(ctx, env.aws),
		Preflight: pipeline.PreflightOptions{
			// A dry run runs the checklist too: every check only reads, and
			// a plan that preflight would stop is worth knowing about.
			Skip:            c.Bool(flagSkipPreflight),
			Strict:          c.Bool(flagStrict),
			AllowInProgress: c.Bool(flagForce),
		},
		Engine: deploy.Options{
			Image:              ch.Image,
			Tag:                ch.Tag,
			Images:             ch.Images,
			Tags:               ch.Tags,
			PinDigest:          c.Bool(flagPinDigest),
			ForceNewDeployment: c.Bool(flagForceNew),
			DryRun:             c.Bool(flagDryRun),
			NoRollback:         c.Bool(flagNoRollback),
			ToRevision:         c.Int(flagToRevision),
			WaitUntil:          c.String(flagWaitUntil),
			ContinueRollback:   c.Bool(flagContinueRollback),
			OnCancel:           c.String(flagOnCancel),
			Parallel:           c.Int(flagParallel),
			Poll:               deploy.PollPolicy{Interval: c.Duration(flagPollInterval), Max: c.Duration(flagPollMax)},
			LogLines:           c.Int(flagLogLines),
		},
		// Every attempt is an event; a logger would record each twice.
		Health:   healthcheck.New(healthcheck.Options{Reporter: rep}),
		Clock:    env.deps.clock,
		Reporter: rep,
		Logger:   env.logger,
	}
}
