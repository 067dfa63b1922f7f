package report

import (
	"errors"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

// scenario is a realistic event sequence and the document the command
// would build from the pipeline's result.
type scenario struct {
	name   string
	events []event.Event
	doc    result.Document
	err    error // the error doc was built from, as Finish receives it
}

const (
	arnGateway41 = "arn:aws:ecs:us-east-1:123456789012:task-definition/tech-gateway:41"
	arnGateway42 = "arn:aws:ecs:us-east-1:123456789012:task-definition/tech-gateway:42"
	arnWorker7   = "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:7"
	arnWorker8   = "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:8"
	digestA      = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB      = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func passChecks() ([]event.Event, []result.Check) {
	events := []event.Event{
		event.StageStarted{Stage: failure.StagePreflight},
		event.CheckFinished{ID: "aws.identity", Status: event.StatusPass, Message: "arn:aws:sts::123456789012:assumed-role/deploy/ci", Duration: 120 * time.Millisecond},
		event.CheckFinished{ID: "aws.region", Status: event.StatusPass, Message: "us-east-1 (config file)"},
		event.CheckFinished{ID: "ssm.parameters", Status: event.StatusPass, Message: "2 parameters exist"},
		event.CheckFinished{ID: "iam.actions", Status: event.StatusWarn, Message: "could not simulate 3 actions: AccessDenied", RunbookID: "iam.simulation-unavailable"},
		event.CheckFinished{ID: "ecs.service", Service: "tech-gateway", Status: event.StatusPass, Message: "ACTIVE, 2 running, no deployment in progress"},
	}
	checks := []result.Check{
		{ID: "aws.identity", Status: event.StatusPass, Message: "arn:aws:sts::123456789012:assumed-role/deploy/ci"},
		{ID: "aws.region", Status: event.StatusPass, Message: "us-east-1 (config file)"},
		{ID: "ssm.parameters", Status: event.StatusPass, Message: "2 parameters exist"},
		{ID: "iam.actions", Status: event.StatusWarn, Message: "could not simulate 3 actions: AccessDenied", RunbookID: "iam.simulation-unavailable"},
		{ID: "ecs.service", Service: "tech-gateway", Status: event.StatusPass, Message: "ACTIVE, 2 running, no deployment in progress"},
	}
	return events, checks
}

// deploySuccess deploys two services; tech-gateway needs a retry of its
// health endpoint while traffic shifts.
func deploySuccess() scenario {
	events, checks := passChecks()
	events = append(events,
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageRegister},
		event.Planned{Service: "tech-gateway", Container: "app", OldImage: "repo/gateway:1.4.0", NewImage: "repo/gateway:1.5.0", CurrentTaskDef: arnGateway41, NewTaskDef: "tech-gateway:42"},
		event.StageStarted{Service: "worker", Stage: failure.StageRegister},
		event.Planned{Service: "worker", Container: "worker", OldImage: "repo/worker:1.4.0", NewImage: "repo/worker:1.5.0", CurrentTaskDef: arnWorker7},
		event.TaskDefinitionRegistered{Service: "tech-gateway", ARN: arnGateway42},
		event.TaskDefinitionRegistered{Service: "worker", ARN: arnWorker8},
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageUpdate},
		event.DeploymentStarted{Service: "tech-gateway", Cluster: "omneuro-prod", DeploymentID: "ecs-svc/1111", TaskDefinition: arnGateway42},
		event.StageStarted{Service: "worker", Stage: failure.StageUpdate},
		event.DeploymentStarted{Service: "worker", Cluster: "omneuro-prod", DeploymentID: "ecs-svc/2222", TaskDefinition: arnWorker8},
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageRollout},
		event.StageStarted{Service: "worker", Stage: failure.StageRollout},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/1111", RolloutState: "IN_PROGRESS", Desired: 2, Pending: 2},
		event.ServiceEvent{Service: "tech-gateway", Message: "(service tech-gateway) has started 2 tasks: (task 5e1c) (task 9a07)."},
		event.DeploymentProgress{Service: "worker", DeploymentID: "ecs-svc/2222", RolloutState: "IN_PROGRESS", Desired: 1, Pending: 1},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/1111", RolloutState: "IN_PROGRESS", Desired: 2, Running: 1, Pending: 1},
		event.DeploymentProgress{Service: "worker", DeploymentID: "ecs-svc/2222", RolloutState: "COMPLETED", Desired: 1, Running: 1},
		event.ServiceFinished{Service: "worker", OK: true, Stage: failure.StageDone},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/1111", RolloutState: "COMPLETED", Desired: 2, Running: 2},
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageHealth},
		event.HealthAttempt{Service: "tech-gateway", URL: "https://tech.example.com/healthz", Attempt: 1, StatusCode: 503, RequestID: "omd-1", Duration: 40 * time.Millisecond},
		event.HealthAttempt{Service: "tech-gateway", URL: "https://tech.example.com/healthz", Attempt: 2, StatusCode: 200, RequestID: "omd-2", Duration: 35 * time.Millisecond},
		event.HealthResult{Service: "tech-gateway", URL: "https://tech.example.com/healthz", OK: true, Attempts: 2, StatusCode: 200, Elapsed: 1300 * time.Millisecond},
		event.HealthResult{Service: "tech-gateway", URL: "https://tech.example.com/api/tech/health", OK: true, Attempts: 1, StatusCode: 200, Elapsed: 80 * time.Millisecond},
		event.ServiceFinished{Service: "tech-gateway", OK: true, Stage: failure.StageDone},
	)
	services := []result.Service{
		{
			Name: "tech-gateway", Cluster: "omneuro-prod", Service: "tech-gateway",
			PreviousTaskDefinition: arnGateway41, TaskDefinition: arnGateway42, DeploymentID: "ecs-svc/1111", RolloutState: "COMPLETED",
			Stage: failure.StageDone,
			Health: []result.Health{
				{URL: "https://tech.example.com/healthz", OK: true, Attempts: 2, StatusCode: 200, Elapsed: 1300 * time.Millisecond},
				{URL: "https://tech.example.com/api/tech/health", OK: true, Attempts: 1, StatusCode: 200, Elapsed: 80 * time.Millisecond},
			},
			Images: []result.RunningImage{{Container: "app", Reference: "repo/gateway:1.5.0", PlannedDigest: digestA, RunningDigest: digestA, Match: true}},
		},
		{
			Name: "worker", Cluster: "omneuro-prod", Service: "worker",
			PreviousTaskDefinition: arnWorker7, TaskDefinition: arnWorker8, DeploymentID: "ecs-svc/2222", RolloutState: "COMPLETED",
			Stage:  failure.StageDone,
			Images: []result.RunningImage{{Container: "worker", Reference: "repo/worker:1.5.0", PlannedDigest: digestA, RunningDigest: digestB}},
		},
	}
	return scenario{name: "deploy-success", events: events, doc: newDoc("deploy", checks, services, nil, 65*time.Second)}
}

// deployRollback is a rollout the circuit breaker fails: omdeploy explains
// the stopped task and rolls back to the previous revision.
func deployRollback() scenario {
	exit1 := int32(1)
	events, checks := passChecks()
	const msg = "deployment ecs-svc/3333 FAILED: ECS deployment circuit breaker: tasks failed to start."
	events = append(events,
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageRegister},
		event.Planned{Service: "tech-gateway", Container: "app", OldImage: "repo/gateway:1.4.0", NewImage: "repo/gateway:1.5.0", CurrentTaskDef: arnGateway41},
		event.TaskDefinitionRegistered{Service: "tech-gateway", ARN: arnGateway42},
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageUpdate},
		event.DeploymentStarted{Service: "tech-gateway", Cluster: "omneuro-prod", DeploymentID: "ecs-svc/3333", TaskDefinition: arnGateway42},
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageRollout},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/3333", RolloutState: "IN_PROGRESS", Desired: 2, Pending: 2},
		event.ServiceEvent{Service: "tech-gateway", Message: "(service tech-gateway) has started 2 tasks: (task 5e1c) (task 9a07)."},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/3333", RolloutState: "IN_PROGRESS", Desired: 2, Pending: 1, Failed: 1},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/3333", RolloutState: "FAILED", RolloutReason: "ECS deployment circuit breaker: tasks failed to start.", Desired: 2, Failed: 3},
		event.Diagnosis{Service: "tech-gateway", Summary: "3 tasks of the new deployment stopped", Tasks: []event.StoppedTask{{
			TaskID: "5e1c", StoppedReason: "Essential container in task exited", RunbookID: "rollout.app-exit",
			Containers: []event.StoppedContainer{{
				Name: "app", ExitCode: &exit1, LogGroup: "/ecs/tech-gateway",
				LogLines: []string{"listening on :8080", "FATAL: DATABASE_URL is not set"},
			}},
		}}},
		event.Failure{Service: "tech-gateway", Stage: failure.StageRollout, Message: msg, RunbookID: "rollout.circuit-breaker"},
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageRollback},
		event.RollbackStarted{Service: "tech-gateway", From: arnGateway42, To: arnGateway41},
		event.DeploymentStarted{Service: "tech-gateway", Cluster: "omneuro-prod", DeploymentID: "ecs-svc/4444", TaskDefinition: arnGateway41, Rollback: true},
		event.DeploymentProgress{Service: "tech-gateway", DeploymentID: "ecs-svc/4444", RolloutState: "COMPLETED", Desired: 2, Running: 2},
		event.ServiceFinished{Service: "tech-gateway", OK: false, Stage: failure.StageRollout},
	)
	err := failure.New(failure.StageRollout, "tech-gateway", "rollout.circuit-breaker", errors.New(msg))
	services := []result.Service{{
		Name: "tech-gateway", Cluster: "omneuro-prod", Service: "tech-gateway",
		PreviousTaskDefinition: arnGateway41, TaskDefinition: arnGateway42, DeploymentID: "ecs-svc/3333", RolloutState: "FAILED",
		RolledBack: true, Stage: failure.StageRollout, Error: msg,
		Diagnosis: &result.Diagnosis{Service: "tech-gateway", Summary: "3 tasks of the new deployment stopped", Tasks: []result.StoppedTask{{
			TaskID: "5e1c", StoppedReason: "Essential container in task exited", RunbookID: "rollout.app-exit",
			Containers: []result.StoppedContainer{{
				Name: "app", ExitCode: &exit1, LogGroup: "/ecs/tech-gateway",
				LogLines: []string{"listening on :8080", "FATAL: DATABASE_URL is not set"},
			}},
		}}},
	}}
	return scenario{name: "deploy-rollback", events: events, doc: newDoc("deploy", checks, services, err, 4*time.Minute+12*time.Second), err: err}
}

// preflightFailure fails a check; the returned error names the same
// failure, which must not be shown twice.
func preflightFailure() scenario {
	events := []event.Event{
		event.StageStarted{Stage: failure.StagePreflight},
		event.CheckFinished{ID: "aws.identity", Status: event.StatusPass, Message: "arn:aws:sts::123456789012:assumed-role/deploy/ci"},
		event.CheckFinished{ID: "ssm.parameters", Status: event.StatusFail, Message: "/omneuro/prod/db-url: parameter not found in us-east-1",
			RunbookID: "ssm.parameter-missing", Fix: "Create it: `aws ssm put-parameter --name /omneuro/prod/db-url --type SecureString --value ...`."},
		event.CheckFinished{ID: "ecs.service", Service: "tech-gateway", Status: event.StatusSkip, Message: "skipped: credentials failed"},
	}
	checks := []result.Check{
		{ID: "aws.identity", Status: event.StatusPass, Message: "arn:aws:sts::123456789012:assumed-role/deploy/ci"},
		{ID: "ssm.parameters", Status: event.StatusFail, Message: "/omneuro/prod/db-url: parameter not found in us-east-1", RunbookID: "ssm.parameter-missing",
			Fix: "Create it: `aws ssm put-parameter --name /omneuro/prod/db-url --type SecureString --value ...`."},
		{ID: "ecs.service", Service: "tech-gateway", Status: event.StatusSkip, Message: "skipped: credentials failed"},
	}
	err := errors.Join(failure.New(failure.StagePreflight, "", "ssm.parameter-missing", errors.New("ssm.parameters: /omneuro/prod/db-url: parameter not found")))
	return scenario{name: "preflight-failure", events: events, doc: newDoc("preflight", checks, nil, err, 2*time.Second), err: err}
}

// configError fails before any event: only the returned error knows.
func configError() scenario {
	err := failure.New(failure.StageConfig, "", "config.invalid", errors.New("omdeploy.yaml:7:5: unknown key \"clustr\" in a service; expected one of cluster, container, health, name, service, wait_timeout"))
	return scenario{name: "config-error", doc: newDoc("deploy", nil, nil, err, 3*time.Millisecond), err: err}
}

// planChanges is `omdeploy plan`: the revision tech-gateway would register
// changes its image, an environment variable, a secret reference and the
// task's CPU, and adds a sidecar.
func planChanges() scenario {
	events, checks := passChecks()
	changes := []result.Change{
		{Path: "containerDefinitions[+sidecar]", New: `{"essential":true,"image":"busybox:1","name":"sidecar"}`},
		{Path: "containerDefinitions[app].environment[LOG_LEVEL]", Old: "info", New: "debug"},
		{Path: "containerDefinitions[app].image", Old: "repo/gateway:1.4.0", New: "repo/gateway:1.5.0"},
		{Path: "containerDefinitions[app].secrets[DB_PASSWORD]", Old: "/prod/db-password", New: "/prod/db-password-v2"},
		{Path: "cpu", Old: "512", New: "1024"},
		{Path: "tags[-legacy]", Old: "yes"},
	}
	events = append(events,
		event.StageStarted{Service: "tech-gateway", Stage: failure.StageRegister},
		event.Planned{Service: "tech-gateway", Container: "app", OldImage: "repo/gateway:1.4.0", NewImage: "repo/gateway:1.5.0",
			CurrentTaskDef: arnGateway41, NewTaskDef: "tech-gateway:42", DryRun: true, Changes: changes},
		event.ServiceFinished{Service: "tech-gateway", OK: true, Stage: failure.StageDone},
	)
	services := []result.Service{{
		Name: "tech-gateway", Cluster: "omneuro-prod", Service: "tech-gateway", PreviousTaskDefinition: arnGateway41, Stage: failure.StageDone,
		Plan: &result.Plan{CurrentTaskDefinition: arnGateway41, TaskDefinition: "tech-gateway:42",
			Containers: []result.ContainerPlan{{Name: "app", PreviousImage: "repo/gateway:1.4.0", Image: "repo/gateway:1.5.0"}}, Changes: changes},
	}}
	doc := newDoc("plan", checks, services, nil, 2*time.Second)
	doc.DryRun = true
	return scenario{name: "plan-changes", events: events, doc: doc}
}

func allScenarios() []scenario {
	return []scenario{deploySuccess(), deployRollback(), preflightFailure(), configError(), planChanges()}
}

// newDoc builds a scenario's document the way the command layer does.
func newDoc(command string, checks []result.Check, services []result.Service, err error, took time.Duration) result.Document {
	d := result.New(command, err, took)
	d.Checks, d.Services = checks, services
	return d
}
