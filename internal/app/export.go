package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/scaffold"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

const flagExport = "export"

// exportPath is where init --export writes service's task definition: next
// to the config file, so that task_definition: can name it relative to it.
func exportPath(configPath, service string) string {
	return filepath.Join(filepath.Dir(configPath), service+".taskdef.json")
}

// exportTaskDefinitions writes the live task definition of each service
// (as discovered) to its exportPath, in the shape a task_definition: file
// has, so that omdeploy plan right after shows no change. It returns the
// files written.
func exportTaskDefinitions(ctx context.Context, api scaffold.ECSAPI, configPath string, services []scaffold.Service, force bool) ([]string, error) {
	var written []string
	for _, s := range services {
		out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
			TaskDefinition: aws.String(s.TaskDefinition), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
		})
		if err != nil {
			return written, fmt.Errorf("describe task definition %s: %w", s.TaskDefinition, err)
		}
		if out.TaskDefinition == nil {
			return written, fmt.Errorf("describe task definition %s: empty answer", s.TaskDefinition)
		}
		b, err := taskdef.Marshal(deploy.RegisterInput(*out.TaskDefinition, out.Tags))
		if err != nil {
			return written, err
		}
		path := exportPath(configPath, s.Service)
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if force {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return written, fmt.Errorf("%s exists; --force overwrites it", path)
		}
		if err != nil {
			return written, err
		}
		_, werr := f.Write(b)
		if err := errors.Join(werr, f.Close()); err != nil {
			return written, fmt.Errorf("write %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// runExport is init --export: discover the services, write their task
// definitions, say how to use them.
func runExport(ctx context.Context, c *cli.Context, env *runEnv, cluster string, names []string) error {
	clients, err := env.clients(ctx)
	if err != nil {
		return env.fail(err)
	}
	services, err := scaffold.Discover(ctx, clients.ECS, cluster, names)
	if err != nil {
		return env.fail(env.discoveryFailure(clients, cluster, err))
	}
	files, err := exportTaskDefinitions(ctx, clients.ECS, str(c, flagConfig), services, c.Bool(flagForce))
	if err != nil {
		return env.fail(failure.New(failure.StageConfig, "", "", fmt.Errorf("init --export: %w", err)))
	}
	for i, f := range files {
		if _, err := fmt.Fprintf(c.App.Writer, "wrote %s (%s)\nnext: add `task_definition: %s` to service %s in the config; omdeploy plan then shows no change\n",
			f, services[i].TaskDefinition, filepath.Base(f), services[i].Service); err != nil {
			return err
		}
	}
	return nil
}
