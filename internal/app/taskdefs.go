package app

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// taskDefinitions reads the task definition files of the services that
// have one (task_definition:), by service name. A file that cannot be read
// or is not valid is a config error (exit 2) at FILE:LINE:COL, before any
// AWS call.
func taskDefinitions(services []config.Service) (map[string]*ecs.RegisterTaskDefinitionInput, error) {
	var out map[string]*ecs.RegisterTaskDefinitionInput
	for _, s := range services {
		if s.TaskDefinition == "" {
			continue
		}
		in, err := taskdef.Load(s.TaskDefinition, os.LookupEnv)
		if err != nil {
			return nil, failure.New(failure.StageConfig, s.Name, runbook.ConfigInvalid, err)
		}
		if out == nil {
			out = map[string]*ecs.RegisterTaskDefinitionInput{}
		}
		out[s.Name] = in
	}
	return out, nil
}
