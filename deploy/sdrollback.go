package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// ServiceDeploymentStopper stops a service deployment in flight;
// *ecs.Client is the real one.
type ServiceDeploymentStopper interface {
	StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
}

var _ ServiceDeploymentStopper = (*ecs.Client)(nil)

// The values of Options.OnCancel.
const (
	// OnCancelLeave leaves a deployment interrupted by Ctrl-C or SIGTERM to
	// ECS, which carries on with it; the default.
	OnCancelLeave = "leave"
	// OnCancelRollback rolls it back within CancelRollbackTimeout.
	OnCancelRollback = "rollback"
)

// DefaultCancelRollbackTimeout bounds the rollback of --on-cancel rollback,
// and the wait for a rollback requested after the run's --timeout: long
// enough for ECS to move traffic back to the running source revision, short
// against a CI runner's grace before it kills the job.
const DefaultCancelRollbackTimeout = 2 * time.Minute

func validOnCancel(s string) bool { return s == "" || s == OnCancelLeave || s == OnCancelRollback }

// inFlight says whether sd can still be stopped.
func inFlight(sd ecstypes.ServiceDeployment) bool {
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress:
		return true
	}
	return false
}

// sdEnded says whether sd reached a final status.
func sdEnded(sd ecstypes.ServiceDeployment) bool {
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusSuccessful, ecstypes.ServiceDeploymentStatusStopped,
		ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusRollbackFailed:
		return true
	}
	return false
}

// fresh is a copy of the run with pollers of its own, for work that goes on
// after the run's context ended (its pollers stop with it).
func (r *run) fresh() *run {
	f := &run{opts: r.opts, pollers: newPollers(r.opts.ECS, r.opts.Clock, r.opts.Poll, r.opts.Logger), sd: newSDRun(r.opts), delays: r.delays}
	if r.sd != nil && f.sd != nil && r.sd.off.Load() {
		f.sd.off.Store(true)
		f.sd.once.Do(func() {}) // the run said so once already
	}
	return f
}

// boundedAfter returns ctx while it is live, else a fresh context of
// CancelRollbackTimeout, with the run switched to pollers of its own.
func (sr *serviceRun) boundedAfter(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	sr.r = sr.r.fresh()
	return context.WithTimeout(context.WithoutCancel(ctx), sr.r.opts.CancelRollbackTimeout)
}

// stopRollback rolls back service deployment arn, still in flight, the way
// ECS does: StopServiceDeployment(ROLLBACK), then follows it to
// ROLLBACK_SUCCESSFUL. handled is false when that cannot be done (no such
// operation, no permission, or the deployment ended meanwhile): the caller
// updates the service back to prev instead.
func (sr *serviceRun) stopRollback(ctx context.Context, arn, prev string) (handled bool, err error) {
	stopper, ok := sr.r.opts.ECS.(ServiceDeploymentStopper)
	if !ok || sr.r.sd == nil || arn == "" {
		return false, nil
	}
	from := sr.res.TaskDefinition
	sctx, cancel := afterDeadline(ctx)
	defer cancel()
	_, err = stopper.StopServiceDeployment(sctx, &ecs.StopServiceDeploymentInput{
		ServiceDeploymentArn: aws.String(arn), StopType: ecstypes.StopServiceDeploymentStopTypeRollback,
	})
	what := fmt.Sprintf("StopServiceDeployment(ROLLBACK) of service deployment %s", arn)
	switch {
	case err == nil:
	case awsx.Ambiguous(err):
		sd, rerr := sr.readBackSD(ctx, arn)
		switch {
		case rerr != nil:
			sr.stage(failure.StageRollback)
			return true, sr.fail(failure.StageRollback, runbook.RolloutHookUnknown, fmt.Errorf(
				"%w: %s got no answer (%v), and reading it back failed (%v): it may or may not be rolling back to %s",
				failure.ErrUnknown, what, err, rerr, orNone(prev)))
		case inFlight(sd):
			sr.stage(failure.StageRollback)
			return true, sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
				"%w: %s got no answer (%v); read back: not applied, the deployment of %s goes on", ErrRollbackFailed, what, err, from))
		case sd.Status != ecstypes.ServiceDeploymentStatusRollbackRequested && sd.Status != ecstypes.ServiceDeploymentStatusRollbackInProgress:
			return false, nil // it ended meanwhile: update back
		}
		sr.warn("%s got no answer (%v), but reading it back shows it was applied", what, err)
	case sdUnavailable(err):
		sr.warn("%s is unavailable (%s): rolling back with UpdateService instead; allow ecs:StopServiceDeployment", what, errMessage(err))
		return false, nil
	case awsx.Code(err) == "ConflictException" || awsx.Code(err) == "InvalidParameterException":
		return false, nil // no longer in flight: update back
	default:
		sr.stage(failure.StageRollback)
		return true, sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
			"%w: %s: %w; the deployment of %s goes on", ErrRollbackFailed, what, err, from))
	}
	sr.stage(failure.StageRollback)
	if !sr.sd.rollbackSeen {
		sr.sd.rollbackSeen = true
		sr.emit(event.RollbackStarted{Service: sr.s.Name, From: from, To: prev})
	}
	sr.logger().Info("rollback requested", "service_deployment", arn, logTaskDef, prev)
	fctx, fcancel := sr.boundedAfter(ctx)
	defer fcancel()
	return true, sr.followSDRollback(fctx, arn, prev)
}

// followSDRollback follows service deployment arn, rolling back, to
// ROLLBACK_SUCCESSFUL, within the service's wait_timeout and ctx.
func (sr *serviceRun) followSDRollback(ctx context.Context, arn, to string) error {
	deadline := sr.now().Add(sr.s.WaitTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	giveUp := deadline.Add(readGrace(sr.s.WaitTimeout))
	sub := sr.r.sd.pollers.get(sr.s.Cluster).subscribe(ctx, arn, deadline, giveUp)
	defer sub.cancel()
	stop := sr.r.opts.Clock.NewTimer(giveUp.Sub(sr.now()))
	defer stop.Stop()
	state := "not seen yet"
	unconfirmed := func(why string) error {
		return sr.fail(failure.StageRollback, runbook.RolloutRollbackUnconfirmed, fmt.Errorf(
			"%w: rollback of service deployment %s to %s requested but not seen to end (%s, %s); ECS carries on with it: run `omdeploy wait` to follow it",
			failure.ErrUnknown, arn, orNone(to), state, why))
	}
	for {
		var snap sdSnapshot
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return sr.fail(failure.StageRollback, runbook.Interrupted, fmt.Errorf(
					"interrupted during the rollback of service deployment %s to %s (%s); ECS carries on with it: %w", arn, orNone(to), state, ctx.Err()))
			}
			return unconfirmed("the wait for it ended")
		case <-stop.C():
			return unconfirmed("no read succeeded")
		case snap = <-sub.ch:
		}
		switch {
		case snap.err != nil && transient(snap.err), snap.missing:
			continue
		case snap.err != nil:
			return unconfirmed(errMessage(snap.err))
		}
		sr.reportSD(snap.sd, snap.at)
		state = fmt.Sprintf("%s at %s", snap.sd.Status, snap.sd.LifecycleStage)
		switch snap.sd.Status {
		case ecstypes.ServiceDeploymentStatusRollbackSuccessful:
			sr.res.RolledBack = true
			sr.logger().Info("rolled back", logTaskDef, to, "service_deployment", arn)
			return nil
		case ecstypes.ServiceDeploymentStatusRollbackFailed, ecstypes.ServiceDeploymentStatusStopped, ecstypes.ServiceDeploymentStatusSuccessful:
			why, _ := sdWhy(snap.sd)
			return sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
				"%w: service deployment %s ended %s instead of rolling back to %s: %s", ErrRollbackFailed, arn, snap.sd.Status, orNone(to), why))
		}
		if !snap.at.Before(deadline) {
			return unconfirmed("its wait ended")
		}
	}
}

// rollBackInFlight rolls back service deployment sd, which this run
// started and gave up on: StopServiceDeployment(ROLLBACK) while it is in
// flight, else (or where that cannot be used) UpdateService back to prev.
func (sr *serviceRun) rollBackInFlight(ctx context.Context, sd ecstypes.ServiceDeployment, arn, prev string) error {
	if sr.r.opts.NoRollback || errors.Is(ctx.Err(), context.Canceled) || (sd.ServiceDeploymentArn != nil && !inFlight(sd)) {
		return sr.rollBack(ctx, prev) // says why not, or updates back
	}
	if handled, err := sr.stopRollback(ctx, arn, prev); handled {
		return err
	}
	return sr.rollBack(ctx, prev)
}

// onCancel is --on-cancel for a run interrupted while its deployment was in
// flight: leave it (the default), or roll it back within
// CancelRollbackTimeout on a context of its own: the service-deployment
// way when arn is set, else by updating the service back to prev. The
// error is interrupted joined with the rollback's failure, if any, so the
// run still exits 130.
func (sr *serviceRun) onCancel(ctx context.Context, arn string, sd ecstypes.ServiceDeployment, prev string, interrupted error) error {
	if sr.r.opts.OnCancel != OnCancelRollback {
		return interrupted
	}
	cctx, cancel := sr.boundedAfter(ctx)
	defer cancel()
	// Asked for by name: --no-rollback speaks of failed deployments, not of
	// one the operator cancelled.
	r := *sr.r
	r.opts.NoRollback = false
	sr.r = &r
	sr.warn("--on-cancel rollback: rolling back to %s (waiting at most %s)", orNone(prev), sr.r.opts.CancelRollbackTimeout)
	var err error
	if arn != "" {
		err = sr.rollBackInFlight(cctx, sd, arn, prev)
	} else {
		err = sr.rollBack(cctx, prev)
	}
	if err == nil && sr.res.RolledBack {
		sr.warn("--on-cancel rollback: the service is back on %s", prev)
	}
	return errors.Join(interrupted, err)
}

// cancelVerb says what the interrupted run does about its deployment, for
// messages.
func (sr *serviceRun) cancelVerb() string {
	if sr.r.opts.OnCancel == OnCancelRollback {
		return "omdeploy rolls it back (--on-cancel rollback)"
	}
	return "ECS carries on with it and omdeploy did not roll back"
}
