package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/omdeploy/omdeploy/internal/lazyre"
	"github.com/omdeploy/omdeploy/internal/result"
)

// Names of the step outputs. action.yml maps the same names; a test keeps
// the two in step.
const (
	outputResult       = "result"              // success or failure
	outputExitCode     = "exit-code"           // the process exit code
	outputStage        = "stage"               // the failing stage, or done
	outputTaskDef      = "task-definition-arn" // with one service
	outputDeploymentID = "deployment-id"       // with one service
	outputServices     = "services"            // every service, as JSON
)

// serviceOutput is one entry of the services output, for workflows that
// deploy several services and read it with fromJSON().
type serviceOutput struct {
	Name              string `json:"name"`
	Cluster           string `json:"cluster"`
	Service           string `json:"service"`
	OK                bool   `json:"ok"`
	Stage             string `json:"stage"`
	TaskDefinitionARN string `json:"task_definition_arn,omitempty"`
	DeploymentID      string `json:"deployment_id,omitempty"`
	RolloutState      string `json:"rollout_state,omitempty"`
	RolledBack        bool   `json:"rolled_back"`
}

// outputs is what a run appends to $GITHUB_OUTPUT. With one service its
// task definition and deployment are plain outputs; with several, each is
// prefixed by the service's name (tech-gateway-deployment-id).
func outputs(doc result.Document) string {
	var b strings.Builder
	result := "success"
	if !doc.OK {
		result = "failure"
	}
	writeOutput(&b, outputResult, result)
	writeOutput(&b, outputExitCode, strconv.Itoa(doc.ExitCode))
	writeOutput(&b, outputStage, string(doc.Stage))
	services := make([]serviceOutput, 0, len(doc.Services))
	for _, s := range doc.Services {
		services = append(services, serviceOutput{
			Name: s.Name, Cluster: s.Cluster, Service: s.Service, OK: s.Error == "", Stage: string(s.Stage),
			TaskDefinitionARN: s.TaskDefinition, DeploymentID: s.DeploymentID, RolloutState: s.RolloutState, RolledBack: s.RolledBack,
		})
		prefix := ""
		if len(doc.Services) > 1 {
			prefix = outputName(s.Name) + "-"
		}
		if s.TaskDefinition != "" {
			writeOutput(&b, prefix+outputTaskDef, s.TaskDefinition)
		}
		if s.DeploymentID != "" {
			writeOutput(&b, prefix+outputDeploymentID, s.DeploymentID)
		}
	}
	js, _ := json.Marshal(services) // plain strings and bools cannot fail
	writeOutput(&b, outputServices, string(js))
	return b.String()
}

// writeOutput writes name=value, or the multi-line form with a delimiter
// the value does not contain when the value spans lines.
func writeOutput(b *strings.Builder, name, value string) {
	if !strings.ContainsAny(value, "\r\n") {
		fmt.Fprintf(b, "%s=%s\n", name, value)
		return
	}
	delim := "OMDEPLOY_EOF"
	for i := 1; strings.Contains(value, delim); i++ {
		delim = fmt.Sprintf("OMDEPLOY_EOF_%d", i)
	}
	fmt.Fprintf(b, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
}

var unsafeOutputChars = lazyre.New(`[^A-Za-z0-9_-]+`)

// outputName makes a service name usable in an output name.
func outputName(s string) string {
	return unsafeOutputChars().ReplaceAllString(s, "-")
}
