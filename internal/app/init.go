package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/scaffold"
	"github.com/omdeploy/omdeploy/preflight"
)

const flagCluster = "cluster"

func initCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "init",
		Usage: "write a commented omdeploy.yaml, optionally filled from live ECS services",
		Description: `Writes the config named by --config (default omdeploy.yaml); an existing file is kept
unless --force. With --cluster and one --service per ECS service, it reads each service and
its task definition (ecs:DescribeServices, ecs:DescribeTaskDefinition) and fills in the
region, account, cluster, service and container; images and log groups are noted in
comments. EventBridge rules on the default bus whose ECS targets run the service's family
(events:ListRuleNamesByTarget, events:ListTargetsByRule) are listed under scheduled:. Without them it writes a template to edit. Health endpoints are left commented:
declare the routes the service really serves.

EXAMPLES:
   omdeploy init
   omdeploy init --cluster omneuro-prod --service tech-gateway --service worker
   omdeploy init --config deploy/prod.yaml --cluster prod --service api --force
   omdeploy init --export --cluster prod --service api   # api.taskdef.json, for task_definition:`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagCluster, Usage: "read the --service services from ECS `CLUSTER`"},
			&cli.BoolFlag{Name: flagForce, Usage: "overwrite an existing config file (with --export: existing task definition files)"},
			&cli.BoolFlag{Name: flagExport, Usage: "write each --service's live task definition to SERVICE.taskdef.json next to the config, for task_definition:, instead of the config"},
		},
		Action: action(d, false, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			path, cluster, names := str(c, flagConfig), c.String(flagCluster), strSlice(c, flagService)
			if (cluster == "") != (len(names) == 0) {
				return env.fail(failure.New(failure.StageConfig, "", "",
					errors.New("init: --cluster and --service go together: name the cluster and each ECS service to read")))
			}
			if c.Bool(flagExport) {
				if cluster == "" {
					return env.fail(failure.New(failure.StageConfig, "", "", errors.New("init --export: name the --cluster and each --service to export")))
				}
				return runExport(ctx, c, env, cluster, names)
			}
			var cfg scaffold.Config
			if cluster != "" {
				clients, err := env.clients(ctx)
				if err != nil {
					return env.fail(err)
				}
				services, err := scaffold.Discover(ctx, clients.ECS, cluster, names)
				if err != nil {
					return env.fail(env.discoveryFailure(clients, cluster, err))
				}
				env.findScheduled(ctx, clients, services)
				cfg = scaffold.Config{Region: clients.Region, AccountID: services[0].AccountID, Services: services}
			}
			if err := scaffold.Write(path, scaffold.Render(cfg), c.Bool(flagForce)); err != nil {
				return env.fail(failure.New(failure.StageConfig, "", "", fmt.Errorf("init: %w", err)))
			}
			if str(c, flagOutput) == report.OutputJSON {
				doc := env.document(nil)
				doc.Init = &result.Init{Path: path, Services: len(cfg.Services)}
				return env.finish(doc, nil)
			}
			what := "a template"
			if len(cfg.Services) > 0 {
				what = fmt.Sprintf("%d service(s) read from cluster %s", len(cfg.Services), cluster)
			}
			_, err := fmt.Fprintf(c.App.Writer, "wrote %s with %s\nnext: review it (health endpoints are commented out), then run: omdeploy preflight --config %s\n", path, what, path)
			return err
		}),
	}, viewFlags, configFlags, awsFlags)
}

// discoveryFailure explains why init could not read the services, with the
// runbook entry preflight would name for the same error.
func (env *runEnv) discoveryFailure(clients *awsx.Clients, cluster string, err error) error {
	var id, fix string
	vars := map[string]string{"cluster": cluster, "region": clients.Region}
	switch {
	case errors.Is(err, scaffold.ErrServiceMissing):
		id = runbook.ECSServiceMissing
		fix = runbook.Fix(id, vars)
	case awsx.Code(err) == awsx.CodeClusterNotFound:
		id = runbook.ECSClusterMissing
		fix = runbook.Fix(id, vars)
	default:
		id, fix = preflight.AWSErrorFix(err, clients.Profile, clients.Region)
	}
	env.renderer.Report(event.Failure{Stage: failure.StagePreflight, Message: err.Error(), RunbookID: id, Fix: fix})
	return failure.New(failure.StagePreflight, "", id, fmt.Errorf("init: %w", err))
}
