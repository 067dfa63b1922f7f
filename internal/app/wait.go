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
		Usage: "go back to the previous (or a given) task-definition revision, then wait",
		Description: `Updates each service to the previous revision of its task-definition family (or
--to-revision N) and follows that deployment to its end. Never deregisters anything.

EXAMPLES:
   omdeploy rollback --service tech-gateway
   omdeploy rollback --service tech-gateway --to-revision 41`,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: flagToRevision, Usage: "return to revision `N` of the family", DefaultText: "the previous one"},
		}, engineFlags()...),
		Action: runPipeline(d, pipeline.Rollback),
	}, viewFlags, configFlags, awsFlags)
}
