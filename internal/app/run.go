package app

import (
	"context"
	"errors"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

const (
	flagCommand        = "command"
	flagContainer      = "container"
	flagTaskDefinition = "task-definition"
	flagTaskTimeout    = "task-timeout"
)

// runCommand is `omdeploy run`: one one-off task with the release tasks'
// log streaming and exit-code verdict.
func runCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:      "run",
		Usage:     "run a one-off task on a service's task definition, stream its logs, exit with its verdict",
		ArgsUsage: "[-- COMMAND ARGS...]",
		Description: `Starts one task of the service's current task definition (or --task-definition) with
the service's launch type and network, overriding the container's command; streams its awslogs
lines while it runs, waits for it to stop and exits 0 only when every essential container exited 0
(else 7). Ctrl-C stops the task. The service itself is never changed.

--command is split on spaces; for arguments that contain spaces, give the command after --.

EXAMPLES:
   omdeploy run --service api --command "bin/migrate status"
   omdeploy run --service api -- bin/rails runner 'puts User.count'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagCommand, Usage: "the `COMMAND` to run, split on spaces", DefaultText: "the container's own"},
			&cli.StringFlag{Name: flagContainer, Usage: "the `CONTAINER` to run it in", DefaultText: "the service's container"},
			&cli.StringFlag{Name: flagTaskDefinition, Usage: "run task definition `TASKDEF` (an ARN or family:revision) instead of the service's"},
			&cli.DurationFlag{Name: flagTaskTimeout, Value: config.DefaultTaskTimeout, Usage: "stop the task and fail after `DURATION`"},
		},
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			task, err := oneOffTask(c)
			if err != nil {
				return env.fail(err)
			}
			res, err := pipeline.RunTask(ctx, env.pipelineOptions(ctx, c), task)
			return env.finishRun(nil, res.Services, err)
		}),
	}, viewFlags, configFlags, awsFlags)
}

// oneOffTask is the task the flags describe.
func oneOffTask(c *cli.Context) (config.Task, error) {
	var command []string // nil: the container's own command
	if s := c.String(flagCommand); strings.TrimSpace(s) != "" {
		command = strings.Fields(s)
	}
	if args := c.Args().Slice(); len(args) > 0 {
		if command != nil {
			return config.Task{}, failure.New(failure.StageConfig, "", "", errors.New("give the command with --command or after --, not both"))
		}
		command = args
	}
	if c.Duration(flagTaskTimeout) <= 0 {
		return config.Task{}, failure.New(failure.StageConfig, "", "", errors.New("--task-timeout must be positive"))
	}
	return config.Task{
		Name: "run", Command: command, Container: c.String(flagContainer),
		TaskDefinition: c.String(flagTaskDefinition), Timeout: c.Duration(flagTaskTimeout),
	}, nil
}
