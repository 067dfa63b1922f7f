package result

import "time"

// ServiceStatus is where one service stands now, and how it differs from
// the config: an entry of `omdeploy status`'s "status" section.
type ServiceStatus struct {
	Name           string             `json:"name"`
	Cluster        string             `json:"cluster"`
	Service        string             `json:"service"`
	Found          bool               `json:"found"`
	TaskDefinition string             `json:"task_definition,omitempty"`
	Containers     []ContainerImage   `json:"containers,omitempty"`
	Desired        int32              `json:"desired"`
	Running        int32              `json:"running"`
	Pending        int32              `json:"pending"`
	Deployments    []DeploymentStatus `json:"deployments,omitempty"`
	Events         []StatusEvent      `json:"events,omitempty"` // newest first
	Drift          []string           `json:"drift,omitempty"`  // where the config and AWS disagree
}

// ContainerImage is one container of the running task definition.
type ContainerImage struct {
	Name      string `json:"name"`
	Image     string `json:"image"`
	Essential bool   `json:"essential"`
}

// DeploymentStatus is one of a service's deployments.
type DeploymentStatus struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"` // PRIMARY, ACTIVE
	RolloutState   string    `json:"rollout_state,omitempty"`
	RolloutReason  string    `json:"rollout_reason,omitempty"`
	TaskDefinition string    `json:"task_definition"`
	Desired        int32     `json:"desired"`
	Running        int32     `json:"running"`
	Pending        int32     `json:"pending"`
	Failed         int32     `json:"failed"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// StatusEvent is a service event.
type StatusEvent struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// RunbookEntry is a runbook entry, in `omdeploy runbook`'s "runbook"
// section.
type RunbookEntry struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Symptom   string `json:"symptom"`
	Diagnosis string `json:"diagnosis"`
	Fix       string `json:"fix"`
}

// Version is `omdeploy version`'s section: what was built, from what.
type Version struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"` // the toolchain, e.g. go1.26.8
}

// Init is `omdeploy init`'s section: the file written and how many
// services were read into it from ECS (0 for a template).
type Init struct {
	Path     string `json:"path"`
	Services int    `json:"services"`
}

// HealthSummary is `omdeploy health`'s section; the verdicts themselves
// are under services[].health as in a deploy.
type HealthSummary struct {
	// BaseURL is the --base-url that replaced each service's base_url
	// (a preview, staging); empty when each service's own was checked.
	BaseURL   string `json:"base_url,omitempty"`
	Endpoints int    `json:"endpoints"` // endpoints checked, across services
	Passed    int    `json:"passed"`
}

// Demo is `omdeploy demo`'s section: the document is otherwise the one a
// real deploy writes, so this says it came from the simulator.
type Demo struct {
	Scenario string `json:"scenario"`
}

// History sources: where ServiceHistory.Source says its entries were read.
const (
	// HistoryServiceDeployments: ListServiceDeployments and
	// DescribeServiceDeployments, each service's recent service deployments.
	HistoryServiceDeployments = "service_deployments"
	// HistoryDeployments: the service's deployments[] (DescribeServices),
	// where the service-deployment calls are unavailable; it holds only
	// the deployments ECS still tracks.
	HistoryDeployments = "deployments"
)

// ServiceHistory is one service's recent deployments, newest first: an
// entry of `omdeploy history`'s "history" section.
type ServiceHistory struct {
	Name    string `json:"name"`
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	// Source is where the entries were read: HistoryServiceDeployments, or
	// HistoryDeployments where the service-deployment calls are unavailable.
	Source      string         `json:"source"`
	Deployments []HistoryEntry `json:"deployments"`
}

// HistoryEntry is one deployment of a service's history.
type HistoryEntry struct {
	// ARN is the service deployment's ARN; ID the deployments[] entry's ID
	// (HistoryDeployments only).
	ARN        string     `json:"arn,omitempty"`
	ID         string     `json:"id,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"` // absent while in progress
	// Status is the service deployment's status (SUCCESSFUL,
	// ROLLBACK_SUCCESSFUL, ...), or the deployment's rollout state.
	Status   string `json:"status"`
	Strategy string `json:"strategy,omitempty"`
	// SourceTaskDefinition is the task definition the service ran before
	// (absent for a service's first deployment); TargetTaskDefinition the
	// one deployed.
	SourceTaskDefinition string `json:"source_task_definition,omitempty"`
	TargetTaskDefinition string `json:"target_task_definition,omitempty"`
	// Reason is why it ended as it did: the rollback's reason, else the
	// status reason.
	Reason          string   `json:"reason,omitempty"`
	TriggeredAlarms []string `json:"triggered_alarms,omitempty"`
}
