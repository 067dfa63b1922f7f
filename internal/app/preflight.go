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
			checks, err := pipeline.Preflight(ctx, env.pipelineOptions(ctx, c))
			return env.finishRun(checks, nil, err)
		}),
	}, viewFlags, configFlags, awsFlags)
}
