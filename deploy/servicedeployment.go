package deploy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// ServiceDeploymentAPI is the part of ECS that follows a service deployment
// by ARN. An ECS client without it (a test fake) is followed through
// deployments[] alone.
type ServiceDeploymentAPI interface {
	DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
}

var _ ServiceDeploymentAPI = (*ecs.Client)(nil)

// sdRun is a run's state for service deployments: the pollers, and whether
// the run fell back to deployments[] (said once, then not tried again).
type sdRun struct {
	pollers *sdPollers
	off     atomic.Bool
	once    sync.Once
}

func newSDRun(opts Options) *sdRun {
	api, ok := opts.ECS.(ServiceDeploymentAPI)
	if !ok {
		return nil
	}
	return &sdRun{pollers: newSDPollers(api, opts.Clock, opts.Poll, opts.Logger)}
}

// sdFollow is what a service's run knows of its service deployment.
type sdFollow struct {
	updated      bool   // UpdateService answered (for this run's deployment, not a rollback)
	arn          string // its currentServiceDeployment
	progress     string // the key of the last ServiceDeploymentProgress
	bakeSince    time.Time
	rollbackSeen bool // RollbackStarted was reported for ECS's rollback

	releasedHook string // the hook Continue released, and the index of its stage
	releasedAt   int

	gate gate // gated blue/green (gate.go)

	rollbackAsked bool // `omdeploy continue --rollback` released the hook with ROLLBACK
}

// noteServiceDeployment keeps the service deployment UpdateService started.
func (sr *serviceRun) noteServiceDeployment(svc ecstypes.Service) {
	sr.sd.updated = true
	sr.sd.arn = aws.ToString(svc.CurrentServiceDeployment)
	if dc := svc.DeploymentConfiguration; dc != nil && dc.Strategy != "" {
		sr.res.Strategy = string(dc.Strategy)
	}
}

// fallBack makes the run follow deployments[] from now on, with one warning
// for the whole run.
func (sr *serviceRun) fallBack(why string) {
	// deployments[] decides now: the document must not show a service
	// deployment's fields it did not follow to its end.
	r := &sr.res
	r.ServiceDeploymentARN, r.Status, r.LifecycleStage, r.RollbackReason, r.TriggeredAlarms = "", "", "", "", nil
	d := sr.r.sd
	d.off.Store(true)
	d.once.Do(func() {
		sr.r.opts.Logger.Warn("service deployments unavailable, following deployments[]", "reason", why)
		msg := "service deployments unavailable (" + why + "): following the deployments[] of each service instead; " +
			"strategy, stage, traffic and alarms are not shown. Where the operations exist, allow ecs:DescribeServiceDeployments and ecs:ListServiceDeployments"
		if sr.r.opts.WaitUntil != "" {
			msg += "; --wait-until " + sr.r.opts.WaitUntil + " is ignored: deployments[] has no stages, so each rollout is followed to its end"
		}
		sr.emit(event.Warning{Message: msg})
	})
}

// sdUnavailable says whether err means the service-deployment operations
// cannot be used here: an endpoint without them, or no permission.
func sdUnavailable(err error) bool {
	if awsx.Classify(err) == awsx.KindDenied {
		return true
	}
	switch awsx.Code(err) {
	case "UnknownOperationException", "InvalidAction", "UnsupportedOperation", "UnsupportedOperationException", "NotImplemented":
		return true
	}
	// An answer the SDK cannot read as this operation's (moto's HTML error
	// page for an operation it lacks) is no transient fault.
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 404, 501:
			return true
		}
	}
	return false
}

// followServiceDeployment follows the service deployment UpdateService
// started, by ARN, and decides on its status. handled is false when the run
// must follow deployments[] instead (the operations are unavailable, or
// UpdateService named none); nothing was decided then.
func (sr *serviceRun) followServiceDeployment(ctx context.Context, id, prev string) (handled bool, err error) {
	d := sr.r.sd
	switch {
	case d == nil || !sr.sd.updated || d.off.Load():
		return false, nil
	case sr.sd.arn == "":
		sr.fallBack("UpdateService named no currentServiceDeployment")
		return false, nil
	}
	arn := sr.sd.arn
	sr.res.DeploymentID, sr.res.ServiceDeploymentARN = id, arn
	sr.stage(failure.StageRollout)
	deadline := sr.now().Add(sr.s.WaitTimeout)
	// As with deployments[]: a state is judged on a read made at or after
	// the deadline, asked for through a grace; never on one not seen.
	giveUp := deadline.Add(readGrace(sr.s.WaitTimeout))
	sr.waiting()
	sub := d.pollers.get(sr.s.Cluster).subscribe(ctx, arn, deadline, giveUp)
	// Cancelled before anything that waits long or follows a rollback of
	// its own, so that the shared poller never waits on this follower.
	defer func() { sub.cancel() }()
	stop := sr.r.opts.Clock.NewTimer(giveUp.Sub(sr.now()))
	defer stop.Stop()
	var last ecstypes.ServiceDeployment
	var pollErr error
	misses := 0
	for {
		var snap sdSnapshot
		select {
		case <-ctx.Done():
			sub.cancel()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) { // the run's --timeout
				sr.runCut, _ = failure.RunTimeoutOf(ctx)
				return true, sr.sdTimedOut(ctx, id, arn, last, prev, pollErr)
			}
			return true, sr.sdInterrupted(ctx, arn, last, prev, ctx.Err())
		case <-stop.C():
			return true, sr.sdUnseen(arn, last, pollErr)
		case snap = <-sub.ch:
		}
		late := !snap.at.Before(deadline)
		switch {
		case snap.err != nil && sdUnavailable(snap.err):
			sr.fallBack(fmt.Sprintf("DescribeServiceDeployments: %s", errMessage(snap.err)))
			return false, nil
		case snap.err != nil && errors.Is(snap.err, ErrNotFound):
			return true, sr.fail(failure.StageRollout, notFoundRunbook(snap.err), fmt.Errorf(
				"follow service deployment %s: %w", arn, snap.err))
		case snap.err != nil && !transient(snap.err):
			// Credentials or permissions gone mid-wait: the deployment goes
			// on unseen, so its outcome is unknown and nothing is rolled back.
			return true, sr.fail(failure.StageRollout, awsx.RunbookID(snap.err), fmt.Errorf(
				"%w: follow service deployment %s: %w; omdeploy did not roll back a state it could not read: fix the cause, then run `omdeploy status`",
				failure.ErrUnknown, arn, snap.err))
		case snap.err != nil:
			pollErr = snap.err
			// Failing from the first poll on, it is the endpoint, not a
			// passing fault: follow deployments[], which this run can read.
			if last.ServiceDeploymentArn == nil {
				if misses++; misses >= unseenPolls {
					sr.fallBack(fmt.Sprintf("DescribeServiceDeployments: %s", errMessage(snap.err)))
					return false, nil
				}
			}
			// Past the deadline, a failed read decides nothing: keep asking
			// until the grace ends (the timer above).
			continue
		case snap.missing:
			// Describe can lag UpdateService briefly; a deployment it never
			// knows is one this endpoint does not track.
			if misses++; misses >= unseenPolls {
				sr.fallBack("DescribeServiceDeployments does not know " + arn)
				return false, nil
			}
			continue
		}
		last, pollErr = snap.sd, nil
		sr.reportSD(last, snap.at)
		if sdEnded(last) || late || sr.reachedWaitUntil(last) || sr.gateHook(last) != "" {
			sub.cancel()
		}
		if last.Status == ecstypes.ServiceDeploymentStatusInProgress {
			sr.followTargets(ctx, id, deadline)
		}
		gated := sr.sd.gate.failure != nil
		switch {
		case last.Status == ecstypes.ServiceDeploymentStatusSuccessful:
			sr.catchUpEvents(ctx)
			return true, sr.verifyHealth(ctx, id, prev)
		case last.Status == ecstypes.ServiceDeploymentStatusRollbackSuccessful && sr.sd.rollbackAsked:
			sr.res.RolledBack = true
			sr.warn("service deployment %s rolled back to %s, as asked (omdeploy continue --rollback)", arn, orNone(sr.res.PreviousTaskDefinition))
			return true, nil
		case last.Status == ecstypes.ServiceDeploymentStatusRollbackSuccessful && gated:
			sr.res.RolledBack = true
			return true, sr.testTrafficFailed(fmt.Sprintf(" and ECS rolled service deployment %s back to %s; production traffic never moved to it",
				arn, orNone(sr.res.PreviousTaskDefinition)))
		case last.Status == ecstypes.ServiceDeploymentStatusRollbackSuccessful:
			return true, sr.sdRolledBack(ctx, id, last)
		case last.Status == ecstypes.ServiceDeploymentStatusRollbackFailed:
			return true, sr.withGate(sr.sdRollbackFailed(ctx, id, last))
		case last.Status == ecstypes.ServiceDeploymentStatusStopped:
			return true, sr.withGate(sr.sdStopped(ctx, id, last, prev))
		case sr.reachedWaitUntil(last):
			return true, sr.stoppedWaiting(last)
		case late:
			return true, sr.withGate(sr.sdTimedOut(ctx, id, arn, last, prev, nil))
		}
		if hook := sr.gateHook(last); hook != "" {
			if err := sr.testTraffic(ctx, last, hook, prev); err != nil {
				return true, err
			}
			// Follow on: the rest of the deployment, or ECS's rollback.
			sub = d.pollers.get(sr.s.Cluster).subscribe(ctx, arn, deadline, giveUp)
		}
	}
}

// withGate joins the gate's test-traffic failure, when the gate sent
// ROLLBACK, to how the deployment ended otherwise.
func (sr *serviceRun) withGate(err error) error {
	if sr.sd.gate.failure == nil {
		return err
	}
	return errors.Join(sr.testTrafficFailed(""), err)
}

// reportSD records the service deployment in the result and emits its
// progress when something a person would notice changed.
func (sr *serviceRun) reportSD(sd ecstypes.ServiceDeployment, at time.Time) {
	r := &sr.res
	r.Status, r.LifecycleStage = string(sd.Status), string(sd.LifecycleStage)
	r.RolloutState = legacyState(sd.Status)
	if dc := sd.DeploymentConfiguration; dc != nil && dc.Strategy != "" {
		r.Strategy = string(dc.Strategy)
	}
	if sd.Rollback != nil {
		r.RollbackReason = aws.ToString(sd.Rollback.Reason)
	}
	if sd.Alarms != nil {
		r.TriggeredAlarms = slices.Clone(sd.Alarms.TriggeredAlarmNames)
	}
	e := event.ServiceDeploymentProgress{
		Service: sr.s.Name, ARN: aws.ToString(sd.ServiceDeploymentArn), Strategy: r.Strategy,
		Status: string(sd.Status), StatusReason: aws.ToString(sd.StatusReason), LifecycleStage: string(sd.LifecycleStage),
		TriggeredAlarms: r.TriggeredAlarms,
	}
	if t := sd.TargetServiceRevision; t != nil {
		e.Running, e.Desired = t.RunningTaskCount, t.RequestedTaskCount
		e.ProductionWeight, e.TestWeight = t.RequestedProductionTrafficWeight, t.RequestedTestTrafficWeight
	}
	if cb := sd.DeploymentCircuitBreaker; cb != nil && cb.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusDisabled {
		e.BreakerFailures, e.BreakerThreshold = cb.FailureCount, cb.Threshold
	}
	if sd.Alarms != nil {
		e.Alarms = slices.Clone(sd.Alarms.AlarmNames)
	}
	for _, h := range sd.LifecycleHookDetails {
		e.Hooks = append(e.Hooks, event.LifecycleHook{ID: aws.ToString(h.HookId), Status: string(h.Status), ExpiresAt: aws.ToTime(h.ExpiresAt)})
	}
	if sd.LifecycleStage == ecstypes.ServiceDeploymentLifecycleStageBakeTime && sd.Status == ecstypes.ServiceDeploymentStatusInProgress {
		if sr.sd.bakeSince.IsZero() {
			sr.sd.bakeSince = at
		}
		if dc := sd.DeploymentConfiguration; dc != nil {
			bake := time.Duration(aws.ToInt32(dc.BakeTimeInMinutes)) * time.Minute
			e.BakeTimeLeft = max(0, bake-at.Sub(sr.sd.bakeSince))
		}
	}
	if !sr.sd.rollbackSeen && sd.Rollback != nil {
		sr.sd.rollbackSeen = true
		sr.emit(event.RollbackStarted{Service: sr.s.Name, From: sr.res.TaskDefinition, To: sr.res.PreviousTaskDefinition})
	}
	// Bake time counts in whole minutes, so a long bake reports once a
	// minute rather than on every poll.
	key := fmt.Sprint(e.Status, e.LifecycleStage, weight(e.ProductionWeight), weight(e.TestWeight), e.Running, e.Desired,
		e.BreakerFailures, e.TriggeredAlarms, e.Hooks, math.Ceil(e.BakeTimeLeft.Minutes()))
	if key == sr.sd.progress {
		return
	}
	sr.sd.progress = key
	sr.emit(e)
}

func weight(w *float64) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprint(*w)
}

// legacyState is the rolloutState the legacy view would show, so that
// rollout_state keeps its meaning for scripts that read it.
func legacyState(s ecstypes.ServiceDeploymentStatus) string {
	switch s {
	case ecstypes.ServiceDeploymentStatusSuccessful:
		return string(ecstypes.DeploymentRolloutStateCompleted)
	case ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress:
		return string(ecstypes.DeploymentRolloutStateInProgress)
	}
	return string(ecstypes.DeploymentRolloutStateFailed)
}

// catchUpEvents reports the service events of the deployment, which the
// service-deployment polls do not carry, before a diagnosis reads them.
func (sr *serviceRun) catchUpEvents(ctx context.Context) (ecstypes.Service, bool) {
	svc, err := sr.describeService(ctx)
	if err != nil {
		return svc, false
	}
	sr.report(svc, nil)
	return svc, true
}

// sdWhy is why ECS ended the service deployment: the rollback's reason, the
// status reason, and the alarms that fired.
func sdWhy(sd ecstypes.ServiceDeployment) (string, bool) {
	why := aws.ToString(sd.StatusReason)
	if sd.Rollback != nil && aws.ToString(sd.Rollback.Reason) != "" {
		why = aws.ToString(sd.Rollback.Reason)
	}
	alarm := sd.Alarms != nil && len(sd.Alarms.TriggeredAlarmNames) > 0
	if alarm {
		names := strings.Join(sd.Alarms.TriggeredAlarmNames, ", ")
		if !strings.Contains(why, names) {
			why = strings.TrimSuffix(why, ".") + "; alarm(s) " + names + " fired"
		}
	}
	if why == "" {
		why = "no reason given"
	}
	return why, alarm
}

// sdDiagnose explains the failed deployment id like the legacy path, with
// the runbook entry for an alarm when one fired.
func (sr *serviceRun) sdDiagnose(ctx context.Context, id string, alarm bool) (rb, cause string) {
	gctx, cancel := afterDeadline(ctx)
	defer cancel()
	if svc, ok := sr.catchUpEvents(gctx); ok && sr.sd.rollbackSeen {
		// ECS's rollback runs as a deployment of its own in deployments[]:
		// name it, as the legacy path names the breaker's.
		if p, ok := primary(svc); ok && aws.ToString(p.Id) != id {
			sr.res.RollbackDeploymentID = aws.ToString(p.Id)
		}
	}
	d := sr.diagnose(gctx, id)
	sr.res.Diagnosis = contractDiagnosis(d.event)
	rb = d.runbookID
	switch {
	case alarm:
		rb = runbook.RolloutAlarm
	case rb == "":
		rb = runbook.RolloutCircuitBreaker
	}
	if d.cause != "" {
		cause = "; " + d.cause
	}
	return rb, cause
}

// sdRolledBack is ROLLBACK_SUCCESSFUL: a rollout failure that ECS already
// undid, so omdeploy does not roll back again.
func (sr *serviceRun) sdRolledBack(ctx context.Context, id string, sd ecstypes.ServiceDeployment) error {
	why, alarm := sdWhy(sd)
	rb, cause := sr.sdDiagnose(ctx, id, alarm)
	sr.res.RolledBack, sr.res.RunbookID = true, rb
	return sr.fail(failure.StageRollout, rb, fmt.Errorf("%w: service deployment %s was rolled back by ECS: %s%s",
		ErrRolloutFailed, aws.ToString(sd.ServiceDeploymentArn), why, cause))
}

// sdRollbackFailed is ROLLBACK_FAILED: ECS could not return to the source
// revision, so the service may be between revisions (exit 6).
func (sr *serviceRun) sdRollbackFailed(ctx context.Context, id string, sd ecstypes.ServiceDeployment) error {
	why, alarm := sdWhy(sd)
	rb, cause := sr.sdDiagnose(ctx, id, alarm)
	arn := aws.ToString(sd.ServiceDeploymentArn)
	rollout := sr.fail(failure.StageRollout, rb, fmt.Errorf("%w: service deployment %s failed%s", ErrRolloutFailed, arn, cause))
	sr.res.RunbookID = runbook.RolloutRollbackFailed
	return errors.Join(rollout, sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
		"%w: ECS could not roll back service deployment %s: %s; the service may be between revisions", ErrRollbackFailed, arn, why)))
}

// sdStopped is STOPPED: replaced by a newer service deployment that is not
// ours (left alone), or stopped by ECS or someone (omdeploy rolls back, as
// after a FAILED deployment without ECS's rollback).
func (sr *serviceRun) sdStopped(ctx context.Context, id string, sd ecstypes.ServiceDeployment, prev string) error {
	arn := aws.ToString(sd.ServiceDeploymentArn)
	if newer := sr.newerServiceDeployment(ctx, sd); newer != "" {
		sr.res.RunbookID = runbook.RolloutReplaced
		return sr.fail(failure.StageRollout, runbook.RolloutReplaced, fmt.Errorf(
			"%w: service deployment %s was replaced: service deployment %s started after it and is not this run's", ErrReplaced, arn, newer))
	}
	why, alarm := sdWhy(sd)
	rb, cause := sr.sdDiagnose(ctx, id, alarm)
	sr.res.RunbookID = rb
	failErr := sr.fail(failure.StageRollout, rb, fmt.Errorf("%w: service deployment %s was STOPPED: %s%s", ErrRolloutFailed, arn, why, cause))
	return errors.Join(failErr, sr.rollBack(ctx, prev))
}

// newerServiceDeployment returns a service deployment of the service
// created after sd, or "". A failed lookup counts as none.
func (sr *serviceRun) newerServiceDeployment(ctx context.Context, sd ecstypes.ServiceDeployment) string {
	api, ok := sr.r.opts.ECS.(ServiceDeploymentAPI)
	if !ok {
		return ""
	}
	gctx, cancel := afterDeadline(ctx)
	defer cancel()
	out, err := api.ListServiceDeployments(gctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(sr.s.Cluster), Service: aws.String(sr.s.Service),
		CreatedAt: &ecstypes.CreatedAt{After: sd.CreatedAt},
	})
	if err != nil {
		sr.logger().Warn("could not list newer service deployments", "error", err, logRequestID, awsx.RequestID(err))
		return ""
	}
	for _, b := range out.ServiceDeployments {
		if a := aws.ToString(b.ServiceDeploymentArn); a != aws.ToString(sd.ServiceDeploymentArn) {
			return a
		}
	}
	return ""
}

// sdTimedOut is a service deployment still going at the deadline: omdeploy
// rolls back unless ECS already is.
func (sr *serviceRun) sdTimedOut(ctx context.Context, id, arn string, sd ecstypes.ServiceDeployment, prev string, pollErr error) error {
	state := "not seen yet"
	if sd.ServiceDeploymentArn != nil {
		state = fmt.Sprintf("%s at %s", sd.Status, sd.LifecycleStage)
	}
	if pollErr != nil {
		state += fmt.Sprintf("; the last polls failed: %v", pollErr)
	}
	_, alarm := sdWhy(sd)
	// The run's --timeout may have passed: the diagnosis reads on a short
	// grace of its own.
	gctx, cancel := afterDeadline(ctx)
	defer cancel()
	rb, cause := sr.sdDiagnose(gctx, id, alarm)
	if rb == runbook.RolloutCircuitBreaker {
		rb = runbook.RolloutTimeout
	}
	sr.res.RunbookID = rb
	what := fmt.Sprintf("did not finish within %s", sr.s.WaitTimeout)
	if sr.runCut != nil {
		what = fmt.Sprintf("was still going when %s, before its wait_timeout of %s", sr.runCut, sr.s.WaitTimeout)
	}
	failErr := sr.fail(failure.StageRollout, rb, fmt.Errorf("%w: service deployment %s %s (%s)%s",
		ErrTimedOut, arn, what, state, cause))
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress:
		sr.warn("not rolled back: ECS is rolling back service deployment %s itself", arn)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Started by ECS, and not seen to end: the service's state is
			// not known, as with a rollback of omdeploy's cut short.
			return errors.Join(failErr, sr.unconfirmed(ctx, arn, prev, "ECS's rollback of service deployment %s to %s is not followed"))
		}
		return failErr
	}
	return errors.Join(failErr, sr.rollBackInFlight(ctx, sd, arn, prev))
}

// sdUnseen is the failure of a service deployment whose state could not be
// read through the grace after its deadline: unknown, and not rolled back.
func (sr *serviceRun) sdUnseen(arn string, sd ecstypes.ServiceDeployment, pollErr error) error {
	state := "not seen yet"
	if sd.ServiceDeploymentArn != nil {
		state = fmt.Sprintf("%s at %s when last seen", sd.Status, sd.LifecycleStage)
	}
	cause := ""
	if pollErr != nil {
		cause = fmt.Sprintf("; the polls failed: %v", pollErr)
	}
	return sr.fail(failure.StageRollout, runbook.RolloutStateUnknown, fmt.Errorf(
		"%w: service deployment %s (%s) could not be read at its deadline%s; omdeploy did not roll back a state it never saw",
		failure.ErrUnknown, arn, state, cause))
}

func (sr *serviceRun) sdInterrupted(ctx context.Context, arn string, sd ecstypes.ServiceDeployment, prev string, err error) error {
	state := "not seen yet"
	if sd.ServiceDeploymentArn != nil {
		state = fmt.Sprintf("%s at %s", sd.Status, sd.LifecycleStage)
	}
	return sr.onCancel(ctx, arn, sd, prev, sr.fail(failure.StageRollout, runbook.Interrupted, fmt.Errorf(
		"interrupted while following service deployment %s (%s); %s: %w", arn, state, sr.cancelVerb(), err)))
}
