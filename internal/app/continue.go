package app

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

const (
	flagWaitUntil = "wait-until"
	flagOnCancel  = "on-cancel"
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
		Usage: "stop following, successfully, once the service deployment reaches lifecycle `STAGE` (or `hook`: a lifecycle hook waiting); ECS carries on. One of " +
			strings.Join(deploy.WaitUntilValues(), ", ")}
}

func continueCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "continue",
		Usage: "release the lifecycle hook a service deployment waits on, then follow the rest",
		Description: `Calls ContinueServiceDeployment for the PAUSE (or other) lifecycle hook that each service's
current service deployment waits on, then follows it like deploy: to its end (health, rollback on
failure) or to the next --wait-until gate.

EXAMPLES:
   omdeploy deploy --tag v2 --service web --wait-until hook   # stops at the gate; test the green side
   omdeploy continue --service web                          # production traffic moves; followed to the end`,
		Flags:  append([]cli.Flag{waitUntilFlag(), onCancelFlag()}, engineFlags()...),
		Action: runPipeline(d, pipeline.Continue),
	}, viewFlags, configFlags, awsFlags)
}
