package app

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

const (
	flagWaitUntil        = "wait-until"
	flagOnCancel         = "on-cancel"
	flagContinueRollback = "rollback"
)

// onCancelFlag is --on-cancel of the commands that follow a deployment
// they may roll back: deploy, wait and continue.
func onCancelFlag() cli.Flag {
	return &cli.StringFlag{Name: flagOnCancel, EnvVars: []string{"OMDEPLOY_ON_CANCEL"}, Value: deploy.OnCancelLeave,
		Usage: "what Ctrl-C or SIGTERM does to a deployment in flight: `MODE` leave (ECS carries on) or rollback " +
			"(StopServiceDeployment with ROLLBACK, or an update back to the previous revision, followed for at most " +
			deploy.DefaultCancelRollbackTimeout.String() + "); the run exits 130 either way"}
}

// waitUntilFlag is deploy's and continue's --wait-until.
func waitUntilFlag() cli.Flag {
	return &cli.StringFlag{Name: flagWaitUntil, EnvVars: []string{"OMDEPLOY_WAIT_UNTIL"},
		Usage: "where to stop following, successfully: `UNTIL` completed (the end, the default), paused (a lifecycle hook waits) or a lifecycle stage reached; ECS carries on. One of " +
			strings.Join(deploy.WaitUntilValues(), ", ")}
}

func continueCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "continue",
		Usage: "release the lifecycle hook a service deployment waits on, then follow the rest",
		Description: `Calls ContinueServiceDeployment for the PAUSE (or other) lifecycle hook that each service's
current service deployment waits on, then follows it like deploy: to its end (health, rollback on
failure) or to the next --wait-until gate.

With --rollback the hook is released with ROLLBACK instead: ECS moves the service back to the
source revision, and the run follows that rollback to ROLLBACK_SUCCESSFUL (exit 0: what was asked).

EXAMPLES:
   omdeploy deploy --tag v2 --service web --wait-until paused   # stops at the gate; test the green side
   omdeploy continue --service web                              # production traffic moves; followed to the end
   omdeploy continue --service web --rollback                   # the green side failed its test: roll back`,
		Flags: append([]cli.Flag{waitUntilFlag(), onCancelFlag(),
			&cli.BoolFlag{Name: flagContinueRollback, EnvVars: []string{"OMDEPLOY_CONTINUE_ROLLBACK"},
				Usage: "release the hook with ROLLBACK, not CONTINUE, and follow ECS's rollback to its end"},
		}, engineFlags()...),
		Action: runPipeline(d, pipeline.Continue),
	}, viewFlags, configFlags, awsFlags)
}
