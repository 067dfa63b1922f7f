package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// graceTimeout bounds the calls that explain and undo a failure after the
// run's own --timeout has passed.
const graceTimeout = 30 * time.Second

// afterDeadline returns a context for the diagnosis and the rollback write
// when ctx's deadline has passed: they still run, briefly. An interrupt is
// not overridden: the operator asked to stop.
func afterDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return context.WithTimeout(context.WithoutCancel(ctx), graceTimeout)
	}
	return ctx, func() {}
}

// rollBack returns the service to task definition to after a failed rollout
// or health check and waits for that deployment. It never deregisters
// anything. A nil error means rolled back or deliberately left alone (the
// reason is reported as a warning).
func (sr *serviceRun) rollBack(ctx context.Context, to string) error {
	from := sr.res.TaskDefinition
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return nil
	case sr.r.opts.NoRollback:
		sr.warn("not rolled back (rollback disabled): the service stays on %s", from)
		return nil
	case to == "":
		sr.warn("not rolled back: %s: no earlier deployment of another task definition is known for this service (runbook %s)",
			ErrNoRollbackTarget, runbook.RolloutNoRollbackTarget)
		return nil
	case to == from:
		sr.warn("not rolled back: %s: the service ran %s before this deployment too (runbook %s)",
			ErrNoRollbackTarget, from, runbook.RolloutNoRollbackTarget)
		return nil
	}
	sr.stage(failure.StageRollback)
	sr.emit(event.RollbackStarted{Service: sr.s.Name, From: from, To: to})
	uctx, cancel := afterDeadline(ctx)
	defer cancel()
	id, err := sr.update(uctx, to, false, true)
	switch {
	case errors.Is(err, context.Canceled):
		return sr.fail(failure.StageRollback, runbook.Interrupted, fmt.Errorf(
			"interrupted before the rollback to %s started: the service stays on %s: %w", to, from, err))
	case err != nil:
		return sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
			"%w: could not start it: %w; the service is still on %s", ErrRollbackFailed, err, from))
	}
	sr.res.RollbackDeploymentID = id
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return sr.unconfirmed(ctx, id, to, "rollback deployment %s to %s started but not followed")
	}
	return sr.followRollback(ctx, id, to)
}

// unconfirmed is the failure of a rollback that the run's deadline left
// unfollowed: started, so not "failed", but not seen to complete either.
func (sr *serviceRun) unconfirmed(ctx context.Context, id, to, format string) error {
	why := "the run's deadline passed"
	if rt, ok := failure.RunTimeoutOf(ctx); ok {
		why = rt.Error()
	}
	return sr.fail(failure.StageRollback, runbook.RolloutRollbackUnconfirmed, fmt.Errorf(
		"%w: "+format+": %s; run `omdeploy wait` to follow it", failure.ErrUnknown, id, to, why))
}

// followECSRollback follows the deployment ECS's circuit breaker started
// instead of issuing another rollback.
func (sr *serviceRun) followECSRollback(ctx context.Context, next ecstypes.Deployment) error {
	id, to := aws.ToString(next.Id), aws.ToString(next.TaskDefinition)
	sr.stage(failure.StageRollback)
	sr.emit(event.RollbackStarted{Service: sr.s.Name, From: sr.res.TaskDefinition, To: to})
	sr.emit(event.DeploymentStarted{Service: sr.s.Name, Cluster: sr.s.Cluster, DeploymentID: id, TaskDefinition: to, Rollback: true})
	sr.res.RollbackDeploymentID = id
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return sr.unconfirmed(ctx, id, to, "ECS's rollback deployment %s to %s is not followed")
	}
	return sr.followRollback(ctx, id, to)
}

// followRollback waits for rollback deployment id to complete.
func (sr *serviceRun) followRollback(ctx context.Context, id, to string) error {
	w, err := sr.watch(ctx, id, "", sr.now().Add(sr.s.WaitTimeout))
	sr.rollbackState = string(w.dep.RolloutState)
	switch {
	case errors.Is(err, context.Canceled):
		return sr.fail(failure.StageRollback, runbook.Interrupted, fmt.Errorf(
			"interrupted during the rollback to %s: rollback deployment %s was %s when omdeploy stopped waiting; "+
				"ECS carries on with it, so the service may still be between revisions: %w", to, id, progressOf(w.dep), err))
	case errors.Is(err, context.DeadlineExceeded):
		w.outcome = outcomeTimedOut
	case err != nil:
		return sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
			"%w: follow rollback deployment %s: %w", ErrRollbackFailed, id, err))
	}
	if w.outcome == outcomeCompleted {
		sr.res.RolledBack = true
		sr.logger().Info("rolled back", logTaskDef, to, logDeployment, id)
		return nil
	}
	cause := ""
	if w.outcome != outcomeReplaced {
		gctx, cancel := afterDeadline(ctx)
		defer cancel()
		if d := sr.diagnose(gctx, id); d.cause != "" {
			cause = "; " + d.cause
		}
	}
	return sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf(
		"%w: rollback deployment %s to %s %s%s", ErrRollbackFailed, id, to, sr.outcomeText(w), cause))
}

// rollbackCommand is Rollback for one service.
func (sr *serviceRun) rollbackCommand(ctx context.Context) error {
	sr.stage(failure.StageRollback)
	svc, err := sr.describeService(ctx)
	if err != nil {
		return sr.fail(failure.StageRollback, notFoundRunbook(err), err)
	}
	sr.seen.baseline(svc)
	cur := aws.ToString(svc.TaskDefinition)
	sr.res.PreviousTaskDefinition = cur
	to, err := sr.rollbackTarget(ctx, cur)
	var choice *revisionChoiceError
	switch {
	case errors.As(err, &choice) && choice.current:
		// Nothing to change: the service already runs what was asked for.
		sr.res.TaskDefinition = cur
		sr.emit(event.Warning{Service: sr.s.Name, Message: choice.Error() + "; nothing to roll back"})
		return nil
	case errors.As(err, &choice):
		// Nothing was changed: the flag named a revision that cannot be used.
		return sr.fail(failure.StageConfig, runbook.RolloutNoRollbackTarget, err)
	case err != nil:
		rb := runbook.RolloutNoRollbackTarget
		if !errors.Is(err, ErrNoRollbackTarget) {
			rb = ""
		}
		return sr.fail(failure.StageRollback, rb, err)
	}
	sr.res.TaskDefinition = to
	sr.emit(event.RollbackStarted{Service: sr.s.Name, From: cur, To: to, Undoes: sr.undoes})
	id, err := sr.update(ctx, to, false, true)
	if err != nil {
		return sr.fail(failure.StageRollback, runbook.RolloutRollbackFailed, fmt.Errorf("%w: %w", ErrRollbackFailed, err))
	}
	sr.res.DeploymentID = id
	err = sr.followRollback(ctx, id, to)
	sr.res.RolloutState = sr.rollbackState
	return err
}

// rollbackTarget is ToRevision of cur's family; else the source revision
// of the service's last service deployment (undoLast); else, where service
// deployments cannot be read, the newest ACTIVE revision older than cur.
func (sr *serviceRun) rollbackTarget(ctx context.Context, cur string) (string, error) {
	family, rev, ok := taskdef.ParseRevision(cur)
	if !ok && sr.r.opts.ToRevision > 0 {
		return "", fmt.Errorf("task definition %q: cannot tell its family and revision", cur)
	}
	if sr.r.opts.ToRevision == 0 {
		if to, handled, err := sr.undoLast(ctx, cur); handled {
			return to, err
		}
	}
	if !ok {
		return "", fmt.Errorf("task definition %q: cannot tell its family and revision", cur)
	}
	if want := sr.r.opts.ToRevision; want > 0 {
		if want == rev {
			return "", &revisionChoiceError{current: true, msg: fmt.Sprintf("service %s is already on revision %d (%s:%d)", sr.s.Service, want, family, want)}
		}
		name := fmt.Sprintf("%s:%d", family, want)
		td, _, err := sr.describeTaskDef(ctx, name)
		switch {
		case err != nil:
			active, lerr := sr.activeRevisions(ctx, family)
			if lerr != nil || slices.Contains(active, want) {
				return "", fmt.Errorf("%w: --to-revision %d: %w", ErrNoRollbackTarget, want, err)
			}
			return "", &revisionChoiceError{msg: fmt.Sprintf("--to-revision %d: family %s has no revision %d; %s", want, family, want, revisionList(family, active)), err: err}
		case td.Status != ecstypes.TaskDefinitionStatusActive:
			active, _ := sr.activeRevisions(ctx, family)
			return "", &revisionChoiceError{msg: fmt.Sprintf("--to-revision %d: %s is %s, and a service cannot be moved to an inactive revision; %s", want, name, td.Status, revisionList(family, active))}
		}
		return aws.ToString(td.TaskDefinitionArn), nil
	}
	best, bestRev := "", 0
	in := &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive, Sort: ecstypes.SortOrderDesc}
	for range 20 { // pages of 100 revisions; older ones are not what "previous" means
		out, err := sr.r.opts.ECS.ListTaskDefinitions(ctx, in)
		if err != nil {
			return "", fmt.Errorf("list revisions of %s: %w", family, err)
		}
		for _, arn := range out.TaskDefinitionArns {
			if f, r, ok := taskdef.ParseRevision(arn); ok && f == family && r < rev && r > bestRev {
				best, bestRev = arn, r
			}
		}
		if best != "" || out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if best == "" {
		return "", fmt.Errorf("%w: %s has no ACTIVE revision older than %d", ErrNoRollbackTarget, family, rev)
	}
	return best, nil
}

// revisionChoiceError is a --to-revision that changes nothing: the revision
// already running (current), or one that cannot be used.
type revisionChoiceError struct {
	current bool
	msg     string
	err     error // the lookup's error, if any
}

func (e *revisionChoiceError) Error() string { return e.msg }
func (e *revisionChoiceError) Unwrap() error { return e.err }

// activeRevisions lists the ACTIVE revision numbers of family, oldest first.
func (sr *serviceRun) activeRevisions(ctx context.Context, family string) ([]int, error) {
	var revs []int
	in := &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive}
	for range 20 {
		out, err := sr.r.opts.ECS.ListTaskDefinitions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list revisions of %s: %w", family, err)
		}
		for _, arn := range out.TaskDefinitionArns {
			if f, r, ok := taskdef.ParseRevision(arn); ok && f == family {
				revs = append(revs, r)
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Sort(revs)
	return revs, nil
}

// revisionList names the revisions a --to-revision may choose, the newest
// twenty at most.
func revisionList(family string, revs []int) string {
	if len(revs) == 0 {
		return fmt.Sprintf("family %s has no ACTIVE revision", family)
	}
	more := ""
	if len(revs) > 20 {
		revs, more = revs[len(revs)-20:], " (newest 20)"
	}
	nums := make([]string, len(revs))
	for i, r := range revs {
		nums[i] = strconv.Itoa(r)
	}
	return fmt.Sprintf("the ACTIVE revisions of %s are %s%s", family, strings.Join(nums, ", "), more)
}
