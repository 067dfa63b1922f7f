package app

import (
	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/pipeline"
)

const flagToRevision = "to-revision"

func waitCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "wait",
		Usage: "follow the services' current deployments to their end",
		Description: `Follows each service's PRIMARY deployment to COMPLETED, FAILED or its wait_timeout,
with the same rules and diagnosis as deploy. Changes nothing.

EXAMPLES:
   omdeploy wait
   omdeploy wait --service tech-gateway --timeout 10m`,
		Flags:  append([]cli.Flag{onCancelFlag()}, engineFlags()...),
		Action: runPipeline(d, pipeline.Wait),
	}, viewFlags, configFlags, awsFlags)
}

func rollbackCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "rollback",
		Usage: "undo the last service deployment (or go to a given revision), then wait",
		Description: `Undoes each service's last service deployment: updates the service back to that deployment's
source revision (what it ran before: a deploy from :3 to :7 goes back to :3), or to --to-revision N
of its family, and follows that deployment to its end. Where the service-deployment calls are
unavailable it goes to the previous ACTIVE revision of the family, with a warning. Never
deregisters anything.

EXAMPLES:
   omdeploy rollback --service tech-gateway
   omdeploy rollback --service tech-gateway --to-revision 41`,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: flagToRevision, Usage: "return to revision `N` of the family", DefaultText: "the last deployment's source"},
		}, engineFlags()...),
		Action: runPipeline(d, pipeline.Rollback),
	}, viewFlags, configFlags, awsFlags)
}
