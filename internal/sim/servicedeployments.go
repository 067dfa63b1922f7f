package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Service deployments: since late 2024 ECS models every deployment as a
// service deployment with an ARN, a status, a lifecycle stage, traffic
// weights and rollback monitors. The simulator layers one over each
// deployment UpdateService starts: the deployment (deployments[]) still
// starts and stops the tasks, so the legacy view stays true, while the
// service deployment walks the strategy's stages and decides when the
// deployment completes, fails or rolls back.

// Strategy is a service's deploymentConfiguration.strategy and the settings
// that go with it. The zero value is ROLLING without bake time.
type Strategy struct {
	Kind     ecstypes.DeploymentStrategy // default ROLLING
	BakeTime time.Duration               // BAKE_TIME after the production shift (rolling: after scale-up)

	StepPercent float64       // LINEAR: production traffic moves this much per step
	StepBake    time.Duration // LINEAR: time between steps
	CanaryPct   float64       // CANARY: the canary's production share
	CanaryBake  time.Duration // CANARY: time at the canary share before the rest moves

	Alarms        []string // CloudWatch alarms watched during the deployment
	AlarmRollback bool     // ECS rolls back when one fires; else the deployment stops

	// PauseAt puts a PAUSE lifecycle hook at these stages: the deployment
	// waits there until ContinueServiceDeployment or HookTimeout (whose
	// action is ROLLBACK, ECS's default).
	PauseAt     []ecstypes.DeploymentLifecycleHookStage
	HookTimeout time.Duration // default 1h

	// EarlySuccess marks the deployment SUCCESSFUL as soon as production
	// traffic is all on the new revision, before bake time and clean-up.
	EarlySuccess bool

	StageTime time.Duration // how long a stage without tasks or waits takes; default 1s
}

// stagePreProductionTrafficShift precedes every production shift. The SDK
// lists it among the hook stages but not among the lifecycle stages, which
// ECS reports it as all the same.
const stagePreProductionTrafficShift ecstypes.ServiceDeploymentLifecycleStage = "PRE_PRODUCTION_TRAFFIC_SHIFT"

// DefaultStageTime is how long a stage that only moves traffic takes.
const DefaultStageTime = time.Second

// DefaultHookTimeout is how long a PAUSE hook waits before its timeout
// action.
const DefaultHookTimeout = time.Hour

// maxDescribeServiceDeployments is how many ARNs DescribeServiceDeployments
// accepts, as in AWS.
const maxDescribeServiceDeployments = 20

func (st Strategy) withDefaults() Strategy {
	if st.Kind == "" {
		st.Kind = ecstypes.DeploymentStrategyRolling
	}
	if st.StageTime <= 0 {
		st.StageTime = DefaultStageTime
	}
	if st.HookTimeout <= 0 {
		st.HookTimeout = DefaultHookTimeout
	}
	if st.StepPercent <= 0 {
		st.StepPercent = 10
	}
	if st.CanaryPct <= 0 {
		st.CanaryPct = 10
	}
	return st
}

// sdScript is the part of a Rollout that scripts its service deployment.
type sdScript struct {
	alarm         string
	alarmAfter    time.Duration
	rollbackFails bool
	stopAfter     time.Duration
	stopReason    string
}

// AlarmAfter makes the CloudWatch alarm name fire d after the deployment
// starts (if it is still in progress): the service deployment lists it in
// triggeredAlarmNames, then rolls back or stops as the strategy says.
func (r Rollout) AlarmAfter(name string, d time.Duration) Rollout {
	r.sd.alarm, r.sd.alarmAfter = name, d
	return r
}

// RollbackFails makes ECS's rollback of this deployment fail: its tasks
// cannot be placed and the service deployment ends ROLLBACK_FAILED.
func (r Rollout) RollbackFails() Rollout {
	r.sd.rollbackFails = true
	return r
}

// StoppedAfter makes ECS stop the deployment d after it starts, with reason
// as its statusReason.
func (r Rollout) StoppedAfter(d time.Duration, reason string) Rollout {
	r.sd.stopAfter, r.sd.stopReason = d, reason
	return r
}

// SetStrategy sets the service's deployment strategy for its next
// deployments.
func (s *Sim) SetStrategy(cluster, service string, st Strategy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.mustService(cluster, service)
	st = st.withDefaults()
	svc.strategy = &st
}

// SetController sets the service's deployment controller (ECS by default).
func (s *Sim) SetController(cluster, service string, t ecstypes.DeploymentControllerType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustService(cluster, service).controller = t
}

// WithoutServiceDeployments makes the account behave like an endpoint
// without service deployments: UpdateService and DescribeServices name no
// currentServiceDeployment and the service-deployment operations are
// unknown.
func (s *Sim) WithoutServiceDeployments() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noSD = true
	for _, c := range s.clusters {
		c.noSD = true
	}
}

// sdStep is one stage of a service deployment's plan.
type sdStep struct {
	stage      ecstypes.ServiceDeploymentLifecycleStage
	wait       time.Duration
	scale      bool    // ends when the new revision's tasks all run
	prod, test float64 // the new revision's traffic weights during the step
}

type hook struct {
	id      string
	stage   ecstypes.DeploymentLifecycleHookStage
	status  ecstypes.DeploymentLifecycleHookStatus
	expires time.Time
}

// serviceDeployment is one service deployment. Its steps run on the same
// clock as the tasks: next is when the current step ends (zero while it
// waits for the tasks or a hook).
type serviceDeployment struct {
	arn, sourceRev, targetRev string
	svc                       *service
	dep                       *deployment // the deployment of the new revision
	rb                        *deployment // ECS's rollback deployment, once started
	old                       *deployment // the deployment it replaces, for the source revision's counts
	strategy                  Strategy
	script                    sdScript
	breaker                   bool
	status                    ecstypes.ServiceDeploymentStatus
	reason                    string
	created, updated, ended   time.Time
	plan                      []sdStep
	i                         int
	next                      time.Time
	scaled                    bool // the new revision's tasks all run
	prod, test                float64
	triggered                 []string
	hooks                     []*hook
	waiting                   *hook // the PAUSE hook the deployment waits on
	rollback                  *ecstypes.Rollback
	alarmAt, stopAt           time.Time
}

func (sd *serviceDeployment) inProgress() bool {
	return sd.status == ecstypes.ServiceDeploymentStatusPending || sd.status == ecstypes.ServiceDeploymentStatusInProgress
}

func (sd *serviceDeployment) over() bool {
	switch sd.status {
	case ecstypes.ServiceDeploymentStatusSuccessful, ecstypes.ServiceDeploymentStatusStopped,
		ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusRollbackFailed:
		return true
	}
	return false
}

// planFor lists the stages of a deployment with strategy st, with the new
// revision's traffic weights in each.
func planFor(st Strategy) []sdStep {
	t := st.StageTime
	if st.Kind == ecstypes.DeploymentStrategyRolling {
		p := []sdStep{{stage: ecstypes.ServiceDeploymentLifecycleStageScaleUp, scale: true}}
		if st.BakeTime > 0 {
			p = append(p, sdStep{stage: ecstypes.ServiceDeploymentLifecycleStageBakeTime, wait: st.BakeTime})
		}
		// Clean-up takes no time of its own: the rolling scale-up drained
		// the old tasks already, and the legacy view completes at once.
		return append(p, sdStep{stage: ecstypes.ServiceDeploymentLifecycleStageCleanUp})
	}
	p := []sdStep{
		{stage: ecstypes.ServiceDeploymentLifecycleStagePreScaleUp, wait: t},
		{stage: ecstypes.ServiceDeploymentLifecycleStageScaleUp, scale: true},
		{stage: ecstypes.ServiceDeploymentLifecycleStagePostScaleUp, wait: t},
		{stage: ecstypes.ServiceDeploymentLifecycleStageTestTrafficShift, wait: t, test: 100},
		{stage: ecstypes.ServiceDeploymentLifecycleStagePostTestTrafficShift, wait: t, test: 100},
	}
	shift := func(prod float64, hold time.Duration) {
		p = append(p,
			sdStep{stage: stagePreProductionTrafficShift, wait: t, test: 100, prod: p[len(p)-1].prod},
			sdStep{stage: ecstypes.ServiceDeploymentLifecycleStageProductionTrafficShift, wait: max(t, hold), test: 100, prod: prod})
	}
	switch st.Kind {
	case ecstypes.DeploymentStrategyLinear:
		for w := st.StepPercent; w < 100; w += st.StepPercent {
			shift(w, st.StepBake)
		}
	case ecstypes.DeploymentStrategyCanary:
		shift(st.CanaryPct, st.CanaryBake)
	}
	shift(100, 0)
	p = append(p, sdStep{stage: ecstypes.ServiceDeploymentLifecycleStagePostProductionTrafficShift, wait: t, test: 100, prod: 100})
	if st.BakeTime > 0 {
		p = append(p, sdStep{stage: ecstypes.ServiceDeploymentLifecycleStageBakeTime, wait: st.BakeTime, test: 100, prod: 100})
	}
	return append(p, sdStep{stage: ecstypes.ServiceDeploymentLifecycleStageCleanUp, wait: t, test: 100, prod: 100})
}

// newServiceDeployment starts the service deployment of d, which
// UpdateService (or someone else's deploy) just made PRIMARY; the service
// deployments still in progress are stopped, as a newer deployment stops
// them in ECS. s.mu is held.
func (s *Sim) newServiceDeployment(svc *service, d *deployment, old *deployment, at time.Time) *serviceDeployment {
	st := Strategy{}.withDefaults()
	if svc.strategy != nil {
		st = *svc.strategy
	}
	n := s.nextID()
	sd := &serviceDeployment{
		arn:       fmt.Sprintf("arn:aws:ecs:%s:%s:service-deployment/%s/%s/%020d", Region, Account, svc.cluster.name, svc.name, 9100000000000000000+n),
		sourceRev: svc.revision,
		targetRev: fmt.Sprintf("arn:aws:ecs:%s:%s:service-revision/%s/%s/%020d", Region, Account, svc.cluster.name, svc.name, 9200000000000000000+n),
		svc:       svc, dep: d, old: old, strategy: st, script: d.r.sd,
		breaker: svc.breaker != nil && svc.breaker.Enable,
		status:  ecstypes.ServiceDeploymentStatusInProgress, created: at, updated: at,
		plan: planFor(st),
	}
	for _, prev := range svc.sds {
		if prev.inProgress() {
			s.endSD(prev, at, ecstypes.ServiceDeploymentStatusStopped,
				"Service deployment stopped: a newer service deployment "+sd.arn+" started.")
		}
	}
	if sd.script.alarm != "" {
		sd.alarmAt = at.Add(sd.script.alarmAfter)
	}
	if sd.script.stopAfter > 0 {
		sd.stopAt = at.Add(sd.script.stopAfter)
	}
	d.sd = sd
	svc.sds = append([]*serviceDeployment{sd}, svc.sds...)
	svc.revision = sd.targetRev
	s.enterStep(sd, at)
	return sd
}

// enterStep starts step sd.i: its weights apply, and a PAUSE hook at its
// stage holds it. s.mu is held.
func (s *Sim) enterStep(sd *serviceDeployment, at time.Time) {
	step := sd.plan[sd.i]
	sd.updated = at
	sd.prod, sd.test = step.prod, step.test
	sd.next = time.Time{}
	if !step.scale || sd.scaled {
		sd.next = at.Add(step.wait)
	}
	if step.scale && sd.i > 0 {
		sd.dep.next = at.Add(sd.dep.r.TaskStart) // the tasks were held until now
	}
	if slices.Contains(sd.strategy.PauseAt, ecstypes.DeploymentLifecycleHookStage(step.stage)) {
		h := &hook{
			id: fmt.Sprintf("hook-%06d", s.nextID()), stage: ecstypes.DeploymentLifecycleHookStage(step.stage),
			status: ecstypes.DeploymentLifecycleHookStatusAwaitingAction, expires: at.Add(sd.strategy.HookTimeout),
		}
		sd.hooks = append(sd.hooks, h)
		sd.waiting = h
		sd.next = time.Time{}
		s.event(sd.svc, at, fmt.Sprintf("(service %s) service deployment %s is waiting for lifecycle hook %s at %s.", sd.svc.name, lastSegment(sd.arn), h.id, h.stage))
	}
	if sd.strategy.EarlySuccess && sd.status == ecstypes.ServiceDeploymentStatusInProgress && sd.prod == 100 && sd.dep.running >= sd.dep.desired {
		sd.status, sd.reason, sd.ended = ecstypes.ServiceDeploymentStatusSuccessful, "Service deployment succeeded early: production traffic is on the new revision.", at
	}
}

// sdDue is when sd next changes on its own; zero: not until something
// happens. s.mu is held.
func (sd *serviceDeployment) due() time.Time {
	var t time.Time
	earliest := func(c time.Time) {
		if !c.IsZero() && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	switch {
	case sd.status == ecstypes.ServiceDeploymentStatusInProgress:
		earliest(sd.next)
		earliest(sd.alarmAt)
		earliest(sd.stopAt)
		if sd.waiting != nil {
			earliest(sd.waiting.expires)
		}
	case sd.status == ecstypes.ServiceDeploymentStatusSuccessful && sd.i < len(sd.plan):
		earliest(sd.next) // early success: clean-up goes on
	case sd.status == ecstypes.ServiceDeploymentStatusRollbackRequested, sd.status == ecstypes.ServiceDeploymentStatusStopRequested:
		earliest(sd.next)
	case sd.status == ecstypes.ServiceDeploymentStatusRollbackInProgress && sd.script.rollbackFails:
		earliest(sd.next)
	}
	return t
}

// stepSD applies sd's step that is due at. s.mu is held.
func (s *Sim) stepSD(sd *serviceDeployment, at time.Time) {
	sd.updated = at
	switch sd.status {
	case ecstypes.ServiceDeploymentStatusRollbackRequested:
		s.startRollback(sd, at, sd.reason)
		return
	case ecstypes.ServiceDeploymentStatusStopRequested:
		s.endSD(sd, at, ecstypes.ServiceDeploymentStatusStopped, sd.reason)
		return
	case ecstypes.ServiceDeploymentStatusSuccessful: // early success: clean-up goes on
		s.nextStep(sd, at)
		return
	case ecstypes.ServiceDeploymentStatusRollbackInProgress: // scripted to fail
		sd.next = time.Time{}
		s.endSD(sd, at, ecstypes.ServiceDeploymentStatusRollbackFailed,
			"Service deployment rollback failed: tasks of the source service revision could not be placed.")
		return
	}
	switch {
	case !sd.alarmAt.IsZero() && !sd.alarmAt.After(at):
		sd.alarmAt = time.Time{}
		sd.triggered = append(sd.triggered, sd.script.alarm)
		why := fmt.Sprintf("CloudWatch alarm %s went into ALARM state", sd.script.alarm)
		s.event(sd.svc, at, fmt.Sprintf("(service %s) service deployment %s: %s.", sd.svc.name, lastSegment(sd.arn), why))
		if sd.strategy.AlarmRollback {
			s.startRollback(sd, at, "Service deployment rolled back because "+why+".")
		} else {
			s.endSD(sd, at, ecstypes.ServiceDeploymentStatusStopped, "Service deployment stopped because "+why+".")
		}
	case !sd.stopAt.IsZero() && !sd.stopAt.After(at):
		s.endSD(sd, at, ecstypes.ServiceDeploymentStatusStopped, sd.script.stopReason)
	case sd.waiting != nil && !sd.waiting.expires.After(at):
		sd.waiting.status = ecstypes.DeploymentLifecycleHookStatusTimedOut
		sd.waiting = nil
		s.startRollback(sd, at, "Service deployment rolled back because lifecycle hook at "+string(sd.plan[sd.i].stage)+" timed out.")
	case !sd.next.IsZero() && !sd.next.After(at):
		s.nextStep(sd, at)
	}
}

// holdsTasks says whether d's tasks wait for its service deployment to
// reach scale-up (blue/green, linear and canary start with PRE_SCALE_UP).
func holdsTasks(d *deployment) bool {
	sd := d.sd
	if sd == nil || !sd.inProgress() {
		return false
	}
	for i := sd.i; i < len(sd.plan); i++ {
		if sd.plan[i].scale {
			return i > sd.i
		}
	}
	return false
}

// nextStep moves sd to its next stage, or finishes it. s.mu is held.
func (s *Sim) nextStep(sd *serviceDeployment, at time.Time) {
	sd.i++
	if sd.i < len(sd.plan) {
		s.enterStep(sd, at)
		return
	}
	sd.next = time.Time{}
	if sd.status == ecstypes.ServiceDeploymentStatusInProgress {
		sd.status, sd.reason, sd.ended = ecstypes.ServiceDeploymentStatusSuccessful, "Service deployment succeeded.", at
	}
	// The deployment (deployments[]) completes now: let its next step run.
	sd.dep.next = at
}

// scaledUp tells sd that the new revision's tasks all run; it reports
// whether the deployment must wait for sd before it completes. s.mu is held.
func (s *Sim) scaledUp(d *deployment, at time.Time) bool {
	sd := d.sd
	if sd == nil || sd.i >= len(sd.plan) {
		return false
	}
	d.next = time.Time{}
	if !sd.scaled {
		sd.scaled = true
		if sd.plan[sd.i].scale && sd.waiting == nil && sd.status == ecstypes.ServiceDeploymentStatusInProgress {
			sd.next = at
		}
	}
	return true
}

// drainsEarly says whether d's scale-up stops the old tasks as it goes
// (rolling), or keeps them until clean-up (blue/green, linear, canary).
func drainsEarly(d *deployment) bool {
	return d.sd == nil || d.sd.strategy.Kind == ecstypes.DeploymentStrategyRolling
}

// breakerTripped ends d's service deployment after the circuit breaker
// failed d: rolling back to rb, ECS's rollback deployment, or stopped when
// ECS does not roll back (rb nil). s.mu is held.
func (s *Sim) breakerTripped(d, rb *deployment, at time.Time) {
	sd := d.sd
	if sd == nil || !sd.inProgress() {
		return
	}
	const why = "the deployment circuit breaker threshold was reached: tasks failed to start"
	if rb == nil {
		s.endSD(sd, at, ecstypes.ServiceDeploymentStatusStopped, "Service deployment stopped because "+why+".")
		return
	}
	s.rollingBack(sd, rb, at, "Service deployment rolled back because "+why+".")
}

// startRollback starts ECS's rollback of sd to its source revision. s.mu is
// held.
func (s *Sim) startRollback(sd *serviceDeployment, at time.Time, reason string) {
	d := sd.dep
	to := d.prev
	d.state, d.reason, d.next, d.replaceAt = ecstypes.DeploymentRolloutStateFailed, reason, time.Time{}, time.Time{}
	if to == "" || to == d.taskDef {
		s.endSD(sd, at, ecstypes.ServiceDeploymentStatusRollbackFailed, reason+" No earlier service revision to return to.")
		return
	}
	r := s.rolloutFor(sd.svc, to, false)
	if sd.script.rollbackFails {
		r = NoCapacity()
	}
	rb := s.newDeployment(sd.svc, to, r, at)
	rb.prev = d.taskDef
	s.startDeployment(sd.svc, rb)
	s.event(sd.svc, at, fmt.Sprintf("(service %s) rolling back to deployment %s.", sd.svc.name, rb.id))
	s.rollingBack(sd, rb, at, reason)
}

func (s *Sim) rollingBack(sd *serviceDeployment, rb *deployment, at time.Time, reason string) {
	sd.status, sd.reason, sd.rb, sd.waiting, sd.updated = ecstypes.ServiceDeploymentStatusRollbackInProgress, reason, rb, nil, at
	sd.prod, sd.test, sd.next = 0, 0, time.Time{}
	sd.rollback = &ecstypes.Rollback{Reason: aws.String(reason), StartedAt: aws.Time(at), ServiceRevisionArn: aws.String(sd.sourceRev)}
	rb.rollbackOf = sd
	if sd.script.rollbackFails {
		sd.next = at.Add(4 * max(rb.r.TaskStart, sd.strategy.StageTime))
	}
}

// rolledBack marks the service deployment that rb rolled back as
// ROLLBACK_SUCCESSFUL once rb completes. s.mu is held.
func (s *Sim) rolledBack(rb *deployment, at time.Time) {
	if sd := rb.rollbackOf; sd != nil && sd.status == ecstypes.ServiceDeploymentStatusRollbackInProgress {
		s.endSD(sd, at, ecstypes.ServiceDeploymentStatusRollbackSuccessful, sd.reason)
		sd.svc.revision = sd.sourceRev
	}
}

// endSD ends sd with status and reason; a stopped deployment's tasks stop
// starting. s.mu is held.
func (s *Sim) endSD(sd *serviceDeployment, at time.Time, status ecstypes.ServiceDeploymentStatus, reason string) {
	sd.status, sd.reason, sd.ended, sd.updated, sd.next, sd.waiting = status, reason, at, at, time.Time{}, nil
	if status == ecstypes.ServiceDeploymentStatusStopped && sd.dep.state == ecstypes.DeploymentRolloutStateInProgress && sd.dep.status == "PRIMARY" {
		sd.dep.state, sd.dep.reason, sd.dep.next, sd.dep.replaceAt = ecstypes.DeploymentRolloutStateFailed, reason, time.Time{}, time.Time{}
	}
}

// StopServiceDeployment stops a service deployment in progress: ROLLBACK
// returns to the source revision, ABORT stops where it is.
func (s *Sim) StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentInput, _ ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sdCall(ctx, "StopServiceDeployment"); err != nil {
		return nil, err
	}
	s.advance()
	sd := s.findSD(aws.ToString(in.ServiceDeploymentArn))
	switch {
	case sd == nil:
		return nil, apiError("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
	case !sd.inProgress():
		return nil, apiError("ConflictException", "The service deployment is "+string(sd.status)+" and cannot be stopped.")
	}
	at := s.clk.Now()
	if in.StopType == ecstypes.StopServiceDeploymentStopTypeAbort {
		sd.status, sd.reason = ecstypes.ServiceDeploymentStatusStopRequested, "Service deployment stopped by StopServiceDeployment (ABORT)."
	} else {
		sd.status, sd.reason = ecstypes.ServiceDeploymentStatusRollbackRequested, "Service deployment rolled back by StopServiceDeployment (ROLLBACK)."
	}
	sd.next, sd.updated = at.Add(sd.strategy.StageTime), at
	return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: aws.String(sd.arn)}, nil
}

// ContinueServiceDeployment releases a PAUSE lifecycle hook the deployment
// waits on: CONTINUE goes on to the next stage, ROLLBACK rolls back.
func (s *Sim) ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentInput, _ ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sdCall(ctx, "ContinueServiceDeployment"); err != nil {
		return nil, err
	}
	s.advance()
	sd := s.findSD(aws.ToString(in.ServiceDeploymentArn))
	switch {
	case sd == nil:
		return nil, apiError("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
	case sd.waiting == nil || (in.HookId != nil && *in.HookId != sd.waiting.id):
		return nil, apiError("InvalidParameterException", "The service deployment is not waiting on lifecycle hook "+aws.ToString(in.HookId)+".")
	}
	at := s.clk.Now()
	h := sd.waiting
	sd.waiting = nil
	if in.Action == ecstypes.DeploymentLifecycleHookActionRollback {
		h.status = ecstypes.DeploymentLifecycleHookStatusFailed
		s.startRollback(sd, at, "Service deployment rolled back by ContinueServiceDeployment (ROLLBACK) at lifecycle hook "+h.id+".")
	} else {
		h.status = ecstypes.DeploymentLifecycleHookStatusSucceeded
		step := sd.plan[sd.i]
		if !step.scale || sd.scaled {
			sd.next = at.Add(step.wait)
		}
	}
	return &ecs.ContinueServiceDeploymentOutput{ServiceDeploymentArn: aws.String(sd.arn)}, nil
}

// WaitingHook returns the ID of the PAUSE hook the service's current
// service deployment waits on, or "".
func (s *Sim) WaitingHook(cluster, service string) (deploymentARN, hookID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	svc := s.mustService(cluster, service)
	if len(svc.sds) == 0 || svc.sds[0].waiting == nil {
		return "", ""
	}
	return svc.sds[0].arn, svc.sds[0].waiting.id
}

// DescribeServiceDeployments describes up to 20 service deployments by ARN;
// unknown ARNs are MISSING failures.
func (s *Sim) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, _ ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sdCall(ctx, "DescribeServiceDeployments"); err != nil {
		return nil, err
	}
	if len(in.ServiceDeploymentArns) == 0 || len(in.ServiceDeploymentArns) > maxDescribeServiceDeployments {
		return nil, apiError("InvalidParameterException", "serviceDeploymentArns must have between 1 and 20 items")
	}
	s.advance()
	out := &ecs.DescribeServiceDeploymentsOutput{}
	for _, arn := range in.ServiceDeploymentArns {
		sd := s.findSD(arn)
		if sd == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, sd.describe())
	}
	return out, nil
}

// ListServiceDeployments lists a service's deployments, newest first,
// filtered by status and creation time, in one page of up to MaxResults
// (default 20).
func (s *Sim) ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, _ ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.calledOn(ctx, s.sdCall, "ListServiceDeployments", in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	limit := 20
	if in.MaxResults != nil && *in.MaxResults > 0 {
		limit = int(*in.MaxResults)
	}
	out := &ecs.ListServiceDeploymentsOutput{ServiceDeployments: []ecstypes.ServiceDeploymentBrief{}}
	for _, sd := range svc.sds {
		switch {
		case len(in.Status) > 0 && !slices.Contains(in.Status, sd.status):
		case in.CreatedAt != nil && in.CreatedAt.After != nil && !sd.created.After(*in.CreatedAt.After):
		case in.CreatedAt != nil && in.CreatedAt.Before != nil && !sd.created.Before(*in.CreatedAt.Before):
		case len(out.ServiceDeployments) < limit:
			b := ecstypes.ServiceDeploymentBrief{
				ServiceDeploymentArn: aws.String(sd.arn), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(svc.cluster.arn),
				CreatedAt: aws.Time(sd.created), StartedAt: aws.Time(sd.created), Status: sd.status,
				StatusReason: aws.String(sd.reason), TargetServiceRevisionArn: aws.String(sd.targetRev),
			}
			if sd.over() {
				b.FinishedAt = aws.Time(sd.ended)
			}
			out.ServiceDeployments = append(out.ServiceDeployments, b)
		}
	}
	return out, nil
}

// sdCall is call for the service-deployment operations, which an endpoint
// without them does not know. s.mu is held.
func (s *Sim) sdCall(ctx context.Context, action string) error {
	if err := s.call(ctx, action); err != nil {
		return err
	}
	if s.noSD {
		return apiError("UnknownOperationException", "The action "+action+" is not valid for this web service.")
	}
	return nil
}

// findSD finds a service deployment by ARN. s.mu is held.
func (s *Sim) findSD(arn string) *serviceDeployment {
	return s.findSDWhere(func(sd *serviceDeployment) bool { return sd.arn == arn })
}

// findSDWhere finds the first service deployment match accepts. s.mu is
// held.
func (s *Sim) findSDWhere(match func(*serviceDeployment) bool) *serviceDeployment {
	for _, c := range s.clusters {
		for _, svc := range c.services {
			for _, sd := range svc.sds {
				if match(sd) {
					return sd
				}
			}
		}
	}
	return nil
}

// describe is sd as DescribeServiceDeployments shows it.
func (sd *serviceDeployment) describe() ecstypes.ServiceDeployment {
	svc := sd.svc
	out := ecstypes.ServiceDeployment{
		ServiceDeploymentArn: aws.String(sd.arn), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(svc.cluster.arn),
		CreatedAt: aws.Time(sd.created), StartedAt: aws.Time(sd.created), UpdatedAt: aws.Time(sd.updated),
		Status: sd.status, StatusReason: aws.String(sd.reason),
		LifecycleStage:          sd.plan[min(sd.i, len(sd.plan)-1)].stage,
		DeploymentConfiguration: sd.configuration(),
		Rollback:                sd.rollback,
		TargetServiceRevision: &ecstypes.ServiceRevisionSummary{
			Arn: aws.String(sd.targetRev), RequestedTaskCount: sd.dep.desired, RunningTaskCount: sd.dep.running,
			PendingTaskCount: max(0, sd.dep.desired-sd.dep.running),
		},
	}
	if sd.over() {
		out.FinishedAt = aws.Time(sd.ended)
		out.TargetServiceRevision.PendingTaskCount = 0
	}
	if sd.status == ecstypes.ServiceDeploymentStatusStopped {
		out.StoppedAt = aws.Time(sd.ended)
	}
	if sd.sourceRev != "" {
		src := ecstypes.ServiceRevisionSummary{Arn: aws.String(sd.sourceRev)}
		if sd.old != nil {
			src.RequestedTaskCount, src.RunningTaskCount = sd.old.desired, sd.old.running
		}
		out.SourceServiceRevisions = []ecstypes.ServiceRevisionSummary{src}
	}
	if sd.strategy.Kind != ecstypes.DeploymentStrategyRolling {
		out.TargetServiceRevision.RequestedProductionTrafficWeight = aws.Float64(sd.prod)
		out.TargetServiceRevision.RequestedTestTrafficWeight = aws.Float64(sd.test)
		for i := range out.SourceServiceRevisions {
			out.SourceServiceRevisions[i].RequestedProductionTrafficWeight = aws.Float64(100 - sd.prod)
			out.SourceServiceRevisions[i].RequestedTestTrafficWeight = aws.Float64(100 - sd.test)
		}
	}
	monitor := ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoring
	if !sd.inProgress() {
		monitor = ecstypes.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete
	}
	cb := &ecstypes.ServiceDeploymentCircuitBreaker{Status: ecstypes.ServiceDeploymentRollbackMonitorsStatusDisabled}
	if sd.breaker {
		cb.Status, cb.FailureCount, cb.Threshold = monitor, sd.dep.failed, breakerThreshold(sd.dep.desired)
		if sd.dep.failed >= cb.Threshold {
			cb.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered
		}
	}
	out.DeploymentCircuitBreaker = cb
	if len(sd.strategy.Alarms) > 0 {
		a := &ecstypes.ServiceDeploymentAlarms{Status: monitor, AlarmNames: slices.Clone(sd.strategy.Alarms), TriggeredAlarmNames: slices.Clone(sd.triggered)}
		if len(sd.triggered) > 0 {
			a.Status = ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered
		}
		out.Alarms = a
	}
	for _, h := range sd.hooks {
		out.LifecycleHookDetails = append(out.LifecycleHookDetails, ecstypes.DeploymentLifecycleHookDetail{
			HookId: aws.String(h.id), Status: h.status, TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
			ExpiresAt: aws.Time(h.expires), TimeoutAction: ecstypes.DeploymentLifecycleHookActionRollback,
		})
	}
	return out
}

// configuration is the deployment configuration sd runs with.
func (sd *serviceDeployment) configuration() *ecstypes.DeploymentConfiguration {
	st := sd.strategy
	dc := &ecstypes.DeploymentConfiguration{Strategy: st.Kind, BakeTimeInMinutes: aws.Int32(minutes(st.BakeTime))}
	if b := sd.svc.breaker; b != nil {
		cp := *b
		dc.DeploymentCircuitBreaker = &cp
	}
	switch st.Kind {
	case ecstypes.DeploymentStrategyLinear:
		dc.LinearConfiguration = &ecstypes.LinearConfiguration{StepPercent: aws.Float64(st.StepPercent), StepBakeTimeInMinutes: aws.Int32(minutes(st.StepBake))}
	case ecstypes.DeploymentStrategyCanary:
		dc.CanaryConfiguration = &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(st.CanaryPct), CanaryBakeTimeInMinutes: aws.Int32(minutes(st.CanaryBake))}
	}
	if len(st.Alarms) > 0 {
		dc.Alarms = &ecstypes.DeploymentAlarms{AlarmNames: slices.Clone(st.Alarms), Enable: true, Rollback: st.AlarmRollback}
	}
	for _, stage := range st.PauseAt {
		dc.LifecycleHooks = append(dc.LifecycleHooks, ecstypes.DeploymentLifecycleHook{
			TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{stage},
		})
	}
	return dc
}

// describeSD adds the service-deployment view to a described service.
func (svc *service) describeSD(out *ecstypes.Service, noSD bool) {
	if svc.controller != "" {
		out.DeploymentController = &ecstypes.DeploymentController{Type: svc.controller}
	}
	if noSD || len(svc.sds) == 0 {
		return
	}
	out.CurrentServiceDeployment = aws.String(svc.sds[0].arn)
	if out.DeploymentConfiguration == nil {
		out.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{}
	}
	out.DeploymentConfiguration.Strategy = svc.sds[0].strategy.Kind
	if svc.strategy != nil {
		out.DeploymentConfiguration.Strategy = svc.strategy.Kind
	}
}

// minutes rounds d up to whole minutes, as the API counts bake time.
func minutes(d time.Duration) int32 {
	return int32(math.Ceil(d.Minutes()))
}

// String is one line about sd, for test failure messages.
func (sd *serviceDeployment) String() string {
	return strings.Join([]string{string(sd.status), string(sd.plan[min(sd.i, len(sd.plan)-1)].stage), sd.reason}, " ")
}
