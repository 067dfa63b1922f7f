package app

import (
	"github.com/urfave/cli/v2"
)

const (
	flagStrict = "strict"
	flagForce  = "force"
)

func preflightCommand() *cli.Command {
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
		Action: func(c *cli.Context) error {
			env, ctx, cancel, err := setup(c, true)
			defer cancel()
			if err != nil {
				return env.fail(err)
			}
			clients, awsErr := env.clients(ctx)
			checks, err := bindPreflight(c, env, clients, awsErr)(ctx)
			return env.finishRun(checks, nil, err)
		},
	})
}
