package deploy

import (
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// Result is what one engine command did, across services.
type Result struct {
	Services []ServiceResult
}

// ServiceResult is one service's outcome; its JSON is the contract's
// services[] entry.
type ServiceResult struct {
	Name                   string               `json:"name"`
	Cluster                string               `json:"cluster"`
	Service                string               `json:"service"`
	PreviousTaskDefinition string               `json:"previous_task_definition,omitempty"`
	TaskDefinition         string               `json:"task_definition,omitempty"`
	DeploymentID           string               `json:"deployment_id,omitempty"`
	RolloutState           string               `json:"rollout_state,omitempty"`
	RolledBack             bool                 `json:"rolled_back"`
	Health                 []healthcheck.Result `json:"health"`
	Stage                  failure.Stage        `json:"stage"`           // stage reached; "done" on success
	Error                  string               `json:"error,omitempty"` // the failure, if any

	// RollbackDeploymentID is the deployment that restores the previous
	// revision (omdeploy's or ECS's circuit breaker's), so an interrupted
	// run still says which deployment to follow.
	RollbackDeploymentID string `json:"rollback_deployment_id,omitempty"`
	// RunbookID is the runbook entry of the failure, when one matched.
	RunbookID string `json:"runbook_id,omitempty"`
	// Diagnosis explains a failed deployment: its stopped tasks, exit codes
	// and last log lines.
	Diagnosis *event.Diagnosis `json:"diagnosis,omitempty"`
}
