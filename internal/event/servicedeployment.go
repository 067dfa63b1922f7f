package event

import "time"

// ServiceDeploymentProgress is emitted when the followed service deployment
// (ECS's deployment with an ARN, any strategy) changes: status, lifecycle
// stage, traffic, bake time by the minute, circuit-breaker failures, alarms
// or lifecycle hooks.
type ServiceDeploymentProgress struct {
	At             time.Time
	Service        string
	ARN            string
	Strategy       string // ROLLING, BLUE_GREEN, LINEAR or CANARY
	Status         string // IN_PROGRESS, ROLLBACK_IN_PROGRESS, SUCCESSFUL, …
	StatusReason   string
	LifecycleStage string // SCALE_UP, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, …
	// ProductionWeight and TestWeight are the new revision's share of
	// traffic in percent; nil when the strategy shifts none (rolling).
	ProductionWeight, TestWeight *float64
	BakeTimeLeft                 time.Duration // in BAKE_TIME; 0 otherwise
	Running, Desired             int32         // the new revision's tasks
	// BreakerFailures counts failed tasks against BreakerThreshold; a zero
	// threshold means the circuit breaker is off.
	BreakerFailures, BreakerThreshold int32
	Alarms                            []string // watched
	TriggeredAlarms                   []string // fired
	Hooks                             []LifecycleHook
}

// LifecycleHook is one lifecycle hook of a service deployment.
type LifecycleHook struct {
	ID        string
	Status    string    // IN_PROGRESS, AWAITING_ACTION, SUCCEEDED, FAILED, TIMED_OUT
	ExpiresAt time.Time // when ECS takes the hook's timeout action; zero: unknown
}

func (ServiceDeploymentProgress) isEvent()                   {}
func (e ServiceDeploymentProgress) at() time.Time            { return e.At }
func (e ServiceDeploymentProgress) withAt(t time.Time) Event { e.At = t; return e }

// LifecycleHookReleased is emitted when omdeploy itself releases a lifecycle
// hook its service deployment waits on: gated blue/green after verifying
// the new revision through the test listener (CONTINUE when healthy,
// ROLLBACK when not).
type LifecycleHookReleased struct {
	At      time.Time
	Service string
	ARN     string // the service deployment
	HookID  string
	Action  string // CONTINUE or ROLLBACK
	Reason  string // why: what the test-traffic check saw
}

func (LifecycleHookReleased) isEvent()                   {}
func (e LifecycleHookReleased) at() time.Time            { return e.At }
func (e LifecycleHookReleased) withAt(t time.Time) Event { e.At = t; return e }
