package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/result"
)

const flagDetailedExitcode = "detailed-exitcode"

// detailedExitcodeFlag makes "there are changes" an exit code of its own,
// so that a pipeline can ask whether there is anything to deploy.
func detailedExitcodeFlag() cli.Flag {
	return &cli.BoolFlag{Name: flagDetailedExitcode, Usage: "exit 8 when a service's task definition would change (0: no change; failures exit as usual)"}
}

func planCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "plan",
		Usage: "show, field by field, what a deploy would change in each task definition; write nothing",
		Description: `Runs the read-only preflight checks, computes the revision a deploy would register (the
running task definition with the change applied) and prints how it differs from the running one,
field by field, with defaults, order and unset-versus-empty left out. It writes nothing: it is
deploy --dry-run, with no change needed. With --detailed-exitcode it exits 0 when nothing would
change and 8 when something would.

EXAMPLES:
   omdeploy plan                                  # anything to deploy?
   omdeploy plan --tag "$GITHUB_SHA" --detailed-exitcode
   omdeploy plan --image repo/app:v2 --output json`,
		Flags: append(imageFlags("plan the target container's image as `REPO:TAG`", "plan only a new tag, `TAG`, of the current image"),
			detailedExitcodeFlag(),
			pinDigestFlag(),
			&cli.BoolFlag{Name: flagSkipPreflight, Usage: "do not run the preflight checklist first"},
			&cli.BoolFlag{Name: flagStrict, Usage: "preflight warnings fail too"},
		),
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			if _, err := changeFlags(c); err != nil {
				return env.fail(err)
			}
			tds, err := taskDefinitions(env.services)
			if err != nil {
				return env.fail(err)
			}
			opts := env.pipelineOptions(ctx, c)
			opts.Engine.DryRun, opts.Engine.TaskDefinitions = true, tds
			// A plan looks: a deployment already in progress does not stop it.
			opts.Preflight.AllowInProgress = true
			res, err := pipeline.Deploy(ctx, opts)
			doc := env.document(err)
			doc.Checks, doc.Services, doc.DryRun = res.Checks, res.Services, true
			return env.finishDetailed(c, doc, err)
		}),
	}, viewFlags, configFlags, awsFlags)
}

// finishDetailed is finish for a run that plans: with --detailed-exitcode
// and no failure, changes to deploy end it with failure.ErrChanges (exit
// 8), which the document's exit_code says too, while it stays ok.
func (env *runEnv) finishDetailed(c *cli.Context, doc result.Document, err error) error {
	changes := err == nil && c.Bool(flagDetailedExitcode) && hasChanges(doc.Services)
	if changes {
		doc.ExitCode = failure.ExitChanges
	}
	if ferr := env.finish(doc, err); ferr != nil || !changes {
		return ferr
	}
	return &reportedError{err: failure.ErrChanges}
}

// hasChanges reports whether a service's plan registers a new revision.
func hasChanges(services []result.Service) bool {
	for _, s := range services {
		if s.Plan != nil && !s.Plan.Reused {
			return true
		}
	}
	return false
}
