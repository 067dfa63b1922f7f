package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

const flagBaseURL = "base-url"

func healthCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "health",
		Usage: "verify the services' canonical health endpoints",
		Description: `Checks each endpoint declared under health: in the config, retrying 502/503/504 and
connection errors with backoff until health.timeout, and failing fast on a phantom route (404).

EXAMPLES:
   omdeploy health
   omdeploy health --service tech-gateway --base-url https://preview-42.example.com`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagBaseURL, Usage: "check `URL` instead of each service's base_url (previews, staging)"},
		},
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			checker := healthcheck.New(healthcheck.Options{Reporter: env.renderer}) // every attempt is an event
			results, err := healthcheck.Verify(ctx, checker, env.services, c.String(flagBaseURL))
			doc := env.document(err)
			doc.Health = &result.HealthSummary{BaseURL: c.String(flagBaseURL)}
			for _, s := range env.services {
				doc.Services = append(doc.Services, result.Service{Name: s.Name, Cluster: s.Cluster, Service: s.Service, Health: results[s.Name], Stage: failure.StageDone})
				for _, r := range results[s.Name] {
					doc.Health.Endpoints++
					if r.OK {
						doc.Health.Passed++
					}
				}
			}
			return env.finish(doc, err)
		}),
	}, viewFlags, configFlags)
}
