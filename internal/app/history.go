package app

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/report"
)

const flagLimit = "limit"

func historyCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "history",
		Usage: "show each service's recent deployments: when, how they ended, from which revision to which, and why",
		Description: `Lists the last --limit service deployments of each service, newest first: started, finished,
status, the task definitions it moved the service from and to, and why it ended as it did (the
rollback's reason, the alarms that fired). Where the service-deployment calls are unavailable (an
emulator, a principal without ecs:ListServiceDeployments) it shows each service's deployments[]
instead, with a warning. Changes nothing. Exit 3 when a service's history cannot be read.

EXAMPLES:
   omdeploy history
   omdeploy history --service tech-gateway --limit 3 --output json`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: flagLimit, EnvVars: []string{"OMDEPLOY_HISTORY_LIMIT"}, Value: deploy.DefaultHistoryLimit,
				Usage: "show the last `N` deployments of each service"},
		},
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			if n := c.Int(flagLimit); n <= 0 {
				return env.fail(failure.New(failure.StageConfig, "", "", fmt.Errorf("--limit %d: must be at least 1", n)))
			}
			opts := env.pipelineOptions(ctx, c)
			opts.Engine.Limit = c.Int(flagLimit)
			history, err := pipeline.History(ctx, opts)
			if err == nil && str(c, flagOutput) != report.OutputJSON {
				_, err = io.WriteString(c.App.Writer, report.HistoryText(history))
				return err
			}
			doc := env.document(err)
			doc.History = history
			return env.finish(doc, err)
		}),
	}, viewFlags, configFlags, awsFlags)
}
