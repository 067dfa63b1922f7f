package sim

import (
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Outcome is how a deployment's tasks behave.
type Outcome int

// Outcomes of a rollout.
const (
	OutcomeHealthy     Outcome = iota // one task starts per TaskStart, then COMPLETED
	OutcomeFailTasks                  // one task per TaskStart starts and stops as Stop says
	OutcomeUnplaceable                // no task can be placed; a service event says so per TaskStart
	OutcomeReplaced                   // healthy, until another deployment takes over after ReplaceAfter
	// OutcomeUnhealthyTargets starts one task per TaskStart whose targets
	// behind the service's load balancers have the health Targets
	// scripts; each is stopped at the next step as failing the ELB
	// health checks (elbtasks.go).
	OutcomeUnhealthyTargets
)

// DefaultTaskStart is how long one task takes to start (or fail): three
// tasks roll out in about ten seconds of real time.
const DefaultTaskStart = 2500 * time.Millisecond

// Rollout scripts one deployment.
type Rollout struct {
	Outcome      Outcome
	TaskStart    time.Duration // default DefaultTaskStart
	Stop         TaskStop      // OutcomeFailTasks
	ReplaceAfter time.Duration // OutcomeReplaced; default 2×TaskStart
	// Targets is the health of its tasks' targets in the service's target
	// groups; zero: healthy.
	Targets TargetHealth

	sd sdScript // what its service deployment meets: AlarmAfter, RollbackFails, StoppedAfter
}

// TaskStop says how a failing task stops. In Reason, "{image}" is replaced
// by the essential container's image.
type TaskStop struct {
	Reason          string
	Code            ecstypes.TaskStopCode
	ExitCode        *int32   // of the essential container; nil: it never started
	ContainerReason string   // the essential container's reason, e.g. OutOfMemoryError
	Logs            []string // what the essential container wrote before stopping
}

// Healthy starts the tasks one by one and completes.
func Healthy() Rollout { return Rollout{} }

// Slow is healthy, with perTask to start each task: a rollout slower than a
// short timeout.
func Slow(perTask time.Duration) Rollout { return Rollout{TaskStart: perTask} }

// CrashLoop starts tasks whose essential container writes logs, then exits
// with exitCode.
func CrashLoop(exitCode int32, logs ...string) Rollout {
	return Rollout{Outcome: OutcomeFailTasks, Stop: TaskStop{
		Reason: "Essential container in task exited", Code: ecstypes.TaskStopCodeEssentialContainerExited,
		ExitCode: &exitCode, Logs: logs,
	}}
}

// PullError stops tasks before they start: the image cannot be pulled.
func PullError() Rollout {
	return Rollout{Outcome: OutcomeFailTasks, Stop: TaskStop{
		Reason: "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: not found",
		Code:   ecstypes.TaskStopCodeTaskFailedToStart,
	}}
}

// SecretsError stops tasks before they start: the SSM parameter named
// cannot be read.
func SecretsError(parameter string) Rollout {
	return Rollout{Outcome: OutcomeFailTasks, Stop: TaskStop{
		Reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: " +
			"unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: " + parameter,
		Code: ecstypes.TaskStopCodeTaskFailedToStart,
	}}
}

// NoCapacity never places a task.
func NoCapacity() Rollout {
	return Rollout{Outcome: OutcomeUnplaceable, TaskStart: 5 * time.Second}
}

// ReplacedAfter is healthy but slow, and another deployment of the same
// task definition (someone's force-new-deployment) takes over after d.
func ReplacedAfter(d time.Duration) Rollout {
	return Rollout{Outcome: OutcomeReplaced, ReplaceAfter: d, TaskStart: 2 * d}
}

func (r Rollout) withDefaults() Rollout {
	if r.TaskStart <= 0 {
		r.TaskStart = DefaultTaskStart
	}
	if r.Outcome == OutcomeReplaced && r.ReplaceAfter <= 0 {
		r.ReplaceAfter = 2 * r.TaskStart
	}
	return r
}
