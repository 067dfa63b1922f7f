package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/pipeline"
)

const (
	flagStrict = "strict"
	flagForce  = "force"
)

func preflightCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "preflight",
		Usage: "check credentials, IAM, SSM, secrets, ECS and logs before a deploy",
		Description: `Runs every check and reports each one; nothing is changed.

EXAMPLES:
   omdeploy preflight
   omdeploy preflight --service tech-gateway --output json
   omdeploy preflight --strict        # warnings fail too`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flagStrict, Usage: "fail on warnings too"},
			&cli.BoolFlag{Name: flagForce, Usage: "do not fail when a deployment is already in progress"},
		},
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			// The checks look at the revision a deploy would register:
			// with a task_definition: file, the file's.
			tds, err := taskDefinitions(env.services)
			if err != nil {
				return env.fail(err)
			}
			opts := env.pipelineOptions(ctx, c)
			opts.Engine.TaskDefinitions = tds
			checks, err := pipeline.Preflight(ctx, opts)
			return env.finishRun(checks, nil, err)
		}),
	}, viewFlags, configFlags, awsFlags)
}
