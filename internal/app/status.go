package app

import (
	"context"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
)

func statusCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "status",
		Usage: "show task definitions, images, deployments, recent events and drift from the config",
		Description: `Describes each service: its task definition and container images, its deployments with
counts and rollout state, the last 5 service events, and where the config and AWS disagree.

EXAMPLES:
   omdeploy status
   omdeploy status --service tech-gateway --output json`,
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			statuses, err := pipeline.Status(ctx, env.pipelineOptions(ctx, c))
			if err == nil && str(c, flagOutput) != report.OutputJSON {
				_, err = io.WriteString(c.App.Writer, report.StatusText(statuses))
				return err
			}
			doc := env.document(err)
			doc.Services, doc.Status = statusServices(statuses), statuses
			return env.finish(doc, err)
		}),
	}, viewFlags, configFlags, awsFlags)
}

// statusServices fills the contract's services[] from the PRIMARY
// deployment, so scripts read status and deploy documents the same way.
func statusServices(statuses []result.ServiceStatus) []result.Service {
	var out []result.Service
	for _, s := range statuses {
		sr := result.Service{Name: s.Name, Cluster: s.Cluster, Service: s.Service, TaskDefinition: s.TaskDefinition, Stage: failure.StageDone}
		for _, d := range s.Deployments {
			if d.Status == "PRIMARY" {
				sr.DeploymentID, sr.RolloutState = d.ID, d.RolloutState
			}
		}
		out = append(out, sr)
	}
	return out
}
