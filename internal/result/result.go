// Package result is the JSON contract: the one document a command writes on
// stdout with --output json, every type that appears in it, and the schema
// version it declares. It knows nothing of AWS or rendering; the stages
// build its values and internal/report writes them. docs/result.schema.json
// is generated from these types (go test ./internal/result -update).
//
// Field names are never renamed. A new optional field keeps the schema
// version; removing or retyping a field, or making one required, bumps it.
package result

import (
	"encoding/json"
	"time"

	"github.com/omdeploy/omdeploy/internal/failure"
)

// Schema is the value of every document's "schema" field: the name and
// version of the contract it follows. Scripts can refuse a version they do
// not know instead of misreading it.
const Schema = "omdeploy.result/v1"

// Check statuses: the values of Check.Status.
const (
	CheckPass = "pass"
	CheckFail = "fail"
	CheckWarn = "warn"
	CheckSkip = "skip"
)

// CheckStatuses lists every value Check.Status takes, for the schema.
func CheckStatuses() []string { return []string{CheckPass, CheckFail, CheckWarn, CheckSkip} }

// Document is what a command ran and how it ended. Exactly one is written
// to stdout when a command ends with --output json.
//
// checks, services and health are always lists, empty rather than null.
// The command-specific sections (status, runbook, version, init, health,
// demo, history) are present only in the document of their command.
type Document struct {
	Schema   string        `json:"schema"`
	Command  string        `json:"command"`
	OK       bool          `json:"ok"`
	ExitCode int           `json:"exit_code"`
	Stage    failure.Stage `json:"stage"` // the failing stage, or "done"
	Error    string        `json:"error,omitempty"`
	Checks   []Check       `json:"checks"`
	Services []Service     `json:"services"`
	Duration time.Duration `json:"duration_ns"`
	// DryRun is true when the command planned and wrote nothing (deploy
	// --dry-run): services[].plan says what a deploy would do.
	DryRun bool `json:"dry_run,omitempty"`

	Status  []ServiceStatus  `json:"status,omitempty"`  // omdeploy status: each service as AWS has it
	Runbook []RunbookEntry   `json:"runbook,omitempty"` // omdeploy runbook: the entries asked for
	Version *Version         `json:"version,omitempty"` // omdeploy version: the build
	Init    *Init            `json:"init,omitempty"`    // omdeploy init: the file written
	Health  *HealthSummary   `json:"health,omitempty"`  // omdeploy health: totals of services[].health
	Demo    *Demo            `json:"demo,omitempty"`    // omdeploy demo: the scenario shown
	History []ServiceHistory `json:"history,omitempty"` // omdeploy history: each service's recent deployments
}

// New starts the document of a finished command: ok, exit code and stage
// derive from err as everywhere else (failure.ExitCode, failure.WorstStage),
// so the document and the process agree. The caller adds the checks,
// services and its section.
func New(command string, err error, took time.Duration) Document {
	d := Document{
		Schema:   Schema,
		Command:  command,
		OK:       err == nil,
		ExitCode: failure.ExitCode(err),
		Stage:    failure.StageDone,
		Checks:   []Check{},
		Services: []Service{},
		Duration: took,
	}
	if err != nil {
		d.Error = err.Error()
		if d.Stage = failure.WorstStage(err); d.Stage == "" {
			d.Stage = failure.StageDone
		}
	}
	return d
}

// MarshalJSON writes nil checks, services and health as [] so a reader
// never has to tell null from empty, however the document was filled.
func (d Document) MarshalJSON() ([]byte, error) {
	type plain Document // without this method
	p := plain(d)
	if p.Checks == nil {
		p.Checks = []Check{}
	}
	p.Services = make([]Service, len(d.Services))
	copy(p.Services, d.Services)
	for i := range p.Services {
		if p.Services[i].Health == nil {
			p.Services[i].Health = []Health{}
		}
	}
	return json.Marshal(p)
}

// Check is one preflight check's result.
type Check struct {
	ID        string `json:"id"` // stable, e.g. "ssm.parameters"
	Service   string `json:"service,omitempty"`
	Status    string `json:"status"` // pass, fail, warn or skip: CheckPass and the others
	Message   string `json:"message"`
	Fix       string `json:"fix,omitempty"`
	RunbookID string `json:"runbook_id,omitempty"`
	// Images are what images.exist resolved: each container's image in the
	// revision the run will register, with the digest its tag named when
	// checked, so a later stage can pin that digest (imageref.Pin) rather
	// than ask the registry a second time.
	Images []Image `json:"images,omitempty"`
}

// Image is one container's image as the images.exist check resolved it.
type Image struct {
	Container string   `json:"container"`
	Image     string   `json:"image"`               // as the new revision names it
	Digest    string   `json:"digest,omitempty"`    // of the manifest or index; "" when not resolved
	Platforms []string `json:"platforms,omitempty"` // os/architecture the image offers, when read
}

// Service is one service's outcome.
type Service struct {
	Name                   string        `json:"name"`
	Cluster                string        `json:"cluster"`
	Service                string        `json:"service"`
	PreviousTaskDefinition string        `json:"previous_task_definition,omitempty"`
	TaskDefinition         string        `json:"task_definition,omitempty"`
	DeploymentID           string        `json:"deployment_id,omitempty"`
	RolloutState           string        `json:"rollout_state,omitempty"`
	RolledBack             bool          `json:"rolled_back"`
	Health                 []Health      `json:"health"`
	Stage                  failure.Stage `json:"stage"`           // stage reached; "done" on success
	Error                  string        `json:"error,omitempty"` // the failure, if any

	// RollbackDeploymentID is the deployment that restores the previous
	// revision (omdeploy's or ECS's circuit breaker's), so an interrupted
	// run still says which deployment to follow.
	RollbackDeploymentID string `json:"rollback_deployment_id,omitempty"`
	// UndoneServiceDeployment is the service deployment `omdeploy rollback`
	// undid, going back to its source revision.
	UndoneServiceDeployment string `json:"undone_service_deployment,omitempty"`
	// RunbookID is the runbook entry of the failure, when one matched.
	RunbookID string `json:"runbook_id,omitempty"`
	// Diagnosis explains a failed deployment: its stopped tasks, exit codes
	// and last log lines.
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
	// Plan is what the deploy planned before it wrote anything; with
	// --dry-run it is all that happened.
	Plan *Plan `json:"plan,omitempty"`

	// ServiceDeploymentARN is the service deployment UpdateService started,
	// when ECS reported one and omdeploy followed it; the fields after it
	// are that service deployment's as last seen.
	ServiceDeploymentARN string `json:"service_deployment_arn,omitempty"`
	// Strategy is the deployment strategy: ROLLING, BLUE_GREEN, LINEAR or CANARY.
	Strategy string `json:"strategy,omitempty"`
	// LifecycleStage is the service deployment's last lifecycle stage.
	LifecycleStage string `json:"lifecycle_stage,omitempty"`
	// Status is the service deployment's status: SUCCESSFUL, STOPPED,
	// ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED, or one still in progress.
	Status string `json:"status,omitempty"`
	// RollbackReason is why ECS rolled the service deployment back.
	RollbackReason string `json:"rollback_reason,omitempty"`
	// TriggeredAlarms are the CloudWatch alarms that fired during it.
	TriggeredAlarms []string `json:"triggered_alarms,omitempty"`
	// TestTrafficHealth are the verdicts of the health endpoints checked
	// through the test listener (health.test_base_url) while a gated
	// blue/green deployment paused at POST_TEST_TRAFFIC_SHIFT, before
	// omdeploy released its hook.
	TestTrafficHealth []Health `json:"test_traffic_health,omitempty"`

	// Images compare, per container of the revision deployed, the digest
	// planned (resolved by images.exist, or named by the reference) with
	// the digest the new deployment's running tasks report, read once
	// after the rollout completed.
	Images []RunningImage `json:"images,omitempty"`

	// Targets are the load balancer's view of the new tasks, one entry per
	// target group, as last seen while the rollout was in progress.
	Targets []TargetGroupHealth `json:"targets,omitempty"`
}

// RunningImage is one container's image: planned against running.
type RunningImage struct {
	Container string `json:"container"`
	Reference string `json:"reference"` // the image the revision names
	// PlannedDigest is the digest preflight resolved for Reference, or the
	// one Reference names; "" when neither is known.
	PlannedDigest string `json:"planned_digest,omitempty"`
	// RunningDigest is containers[].imageDigest of the deployment's
	// running tasks: one digest, or several comma-separated when the tasks
	// disagree (the tag moved during the rollout); "" when none reported.
	RunningDigest string `json:"running_digest,omitempty"`
	// Match is true when both are known and every task runs the planned
	// digest. Both known and different is a warning: a mutable tag moved
	// between preflight and the pull (runbook images.digest-mismatch).
	Match bool `json:"match"`
}

// Plan is the revision a deploy uses, the images it changes and, field by
// field, how that revision differs from the one running.
type Plan struct {
	// CurrentTaskDefinition is the ARN the service runs now.
	CurrentTaskDefinition string `json:"current_task_definition"`
	// TaskDefinition is the revision the deploy uses: the current ARN when
	// reused, "family:N" when a dry run would register N, else the ARN
	// registered.
	TaskDefinition string `json:"task_definition,omitempty"`
	// Reused is true when the task definition is unchanged and the current
	// revision is deployed again.
	Reused bool `json:"reused"`
	// Containers are the containers whose image the deploy sets.
	Containers []ContainerPlan `json:"containers"`
	// Changes are the fields the new revision changes, normalised so that
	// defaults, order and unset-versus-empty never show; empty when the
	// revision is reused.
	Changes []Change `json:"changes,omitempty"`
}

// Change is one field of the task definition that a deploy changes. Path
// uses the API's JSON field names, with list elements named by their name
// or key: "cpu", "containerDefinitions[app].environment[LOG_LEVEL]";
// "[+name]" is an element added, "[-name]" one removed. Old and New are the
// values as text (JSON for a structure); "" is unset. Secrets show their
// valueFrom references, never values.
type Change struct {
	Path string `json:"path"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// ContainerPlan is one container's image before and after.
type ContainerPlan struct {
	Name          string `json:"name"`
	PreviousImage string `json:"previous_image"`
	Image         string `json:"image"`
}

// Health is the verdict for one health endpoint. URLs are redacted.
type Health struct {
	URL        string        `json:"url"`
	FinalURL   string        `json:"final_url,omitempty"` // set when redirects were followed
	OK         bool          `json:"ok"`
	Attempts   int           `json:"attempts"`
	StatusCode int           `json:"status_code"` // of the last attempt that got a response
	Elapsed    time.Duration `json:"elapsed_ns"`
	Error      string        `json:"error,omitempty"`
	RunbookID  string        `json:"runbook_id,omitempty"`
}

// Diagnosis says why a deployment failed. Its keys are the Go field names
// because the first documents were written that way; the contract keeps
// them.
type Diagnosis struct {
	At      time.Time     `json:"At"`
	Service string        `json:"Service"`
	Summary string        `json:"Summary"`
	Tasks   []StoppedTask `json:"Tasks"`
}

// StoppedTask explains one stopped task of a failed deployment.
type StoppedTask struct {
	TaskID        string             `json:"TaskID"`
	StoppedReason string             `json:"StoppedReason"`
	StopCode      string             `json:"StopCode"`
	Containers    []StoppedContainer `json:"Containers"`
	RunbookID     string             `json:"RunbookID"` // the known cause, when one matched
	// TargetHealth is the load balancer's last word on the task's target
	// before it stopped: "Target.ResponseCodeMismatch: Health checks
	// failed with these codes: [404]"; "" when none was seen.
	TargetHealth string `json:"TargetHealth,omitempty"`
}

// StoppedContainer is one container of a stopped task.
type StoppedContainer struct {
	Name     string   `json:"Name"`
	ExitCode *int32   `json:"ExitCode"` // null when the container never ran
	Reason   string   `json:"Reason"`
	LogGroup string   `json:"LogGroup"`
	LogLines []string `json:"LogLines"` // last lines of its CloudWatch log stream
	LogError string   `json:"LogError"` // why the log lines could not be read
}
