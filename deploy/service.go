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
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// deploy is Deploy for one service: plan, register, update, follow.
func (sr *serviceRun) deploy(ctx context.Context) error {
	o := sr.r.opts
	sr.stage(failure.StageRegister)
	svc, err := sr.describeService(ctx)
	if err != nil {
		return sr.fail(failure.StageRegister, notFoundRunbook(err), err)
	}
	sr.seen.baseline(svc)
	cur := aws.ToString(svc.TaskDefinition)
	sr.res.PreviousTaskDefinition = cur
	td, tags, err := sr.describeTaskDef(ctx, cur)
	if err != nil {
		return sr.fail(failure.StageRegister, "", err)
	}
	var pins map[string]string
	if o.PinDigest || sr.s.PinDigest {
		pins = o.Digests[sr.s.Name]
		if pins == nil {
			pins = map[string]string{} // pinning asked, nothing resolved: every image is unpinned
		}
	}
	p, err := newPlan(td, tags, o.TaskDefinitions[sr.s.Name], sr.s.Container, imageref.Change{Image: o.Image, Tag: o.Tag, Images: o.Images, Tags: o.Tags}, pins)
	if err != nil {
		var ec *errContainer
		var up *unpinnedError
		if errors.As(err, &up) {
			return sr.fail(failure.StagePreflight, runbook.ImageDigestUnresolved, fmt.Errorf("service %s: %w", sr.s.Name, err))
		}
		if errors.As(err, &ec) {
			return sr.fail(failure.StageConfig, runbook.ConfigInvalid, fmt.Errorf("service %s (config line %d): %w", sr.s.Name, sr.s.Line, err))
		}
		return sr.fail(failure.StageRegister, "", err)
	}
	planned := event.Planned{
		Service: sr.s.Name, Container: p.container, OldImage: p.oldImage, NewImage: p.newImage,
		CurrentTaskDef: cur, Reused: !p.changed(), DryRun: o.DryRun, Changes: p.changes,
	}
	if !p.changed() {
		planned.NewTaskDef = cur
	}
	if o.DryRun {
		if p.changed() {
			planned.NewTaskDef, err = sr.nextRevision(ctx, aws.ToString(td.Family))
			if err != nil {
				return sr.fail(failure.StageRegister, "", err)
			}
		}
		sr.res.Plan = planResult(planned, p.images)
		sr.emit(planned)
		return nil
	}
	sr.res.Plan = planResult(planned, p.images)
	sr.emit(planned)

	next := cur
	if p.changed() {
		reg, err := sr.register(ctx, p, cur)
		if err != nil {
			return sr.fail(failure.StageRegister, "", err)
		}
		next = aws.ToString(reg.TaskDefinitionArn)
		sr.res.Plan.TaskDefinition = next
		sr.logger().Info("registered task definition", logTaskDef, next)
		sr.emit(event.TaskDefinitionRegistered{Service: sr.s.Name, ARN: next})
	}
	sr.res.TaskDefinition = next
	if !p.changed() && !o.ForceNewDeployment {
		// Nothing to change: follow what the service is doing now.
		d, ok := primary(svc)
		if !ok {
			return sr.fail(failure.StageRollout, "", fmt.Errorf("service %s has no PRIMARY deployment", sr.s.Service))
		}
		sr.seen.startAt(aws.ToTime(d.CreatedAt))
		return sr.follow(ctx, aws.ToString(d.Id), previous(svc))
	}
	if err := sr.beforeUpdate(ctx, next); err != nil {
		return err // release tasks failed: the service is untouched
	}
	sr.stage(failure.StageUpdate)
	id, err := sr.update(ctx, next, o.ForceNewDeployment, false)
	switch {
	case errors.Is(err, failure.ErrUnknown):
		return sr.fail(failure.StageUpdate, runbook.RolloutUpdateUnknown, err)
	case err != nil:
		return sr.fail(failure.StageUpdate, notFoundRunbook(err), err)
	case sr.unanswered && errors.Is(ctx.Err(), context.Canceled):
		// The interrupt came while UpdateService was in flight, and the
		// read-back found it applied: say so, rather than "not started".
		sr.res.DeploymentID = id
		return sr.fail(failure.StageUpdate, runbook.Interrupted, fmt.Errorf(
			"interrupted while UpdateService was in flight, but it was applied: deployment %s of %s is rolling out; "+
				"omdeploy neither follows nor rolls it back: %w", id, next, ctx.Err()))
	}
	return sr.follow(ctx, id, cur)
}

// wait is Wait for one service: follow its current PRIMARY deployment.
func (sr *serviceRun) wait(ctx context.Context) error {
	sr.stage(failure.StageRollout)
	svc, err := sr.describeService(ctx)
	if err != nil {
		return sr.fail(failure.StageRollout, notFoundRunbook(err), err)
	}
	d, ok := primary(svc)
	if !ok {
		return sr.fail(failure.StageRollout, "", fmt.Errorf("service %s in cluster %s has no PRIMARY deployment", sr.s.Service, sr.s.Cluster))
	}
	sr.res.TaskDefinition = aws.ToString(d.TaskDefinition)
	sr.res.PreviousTaskDefinition = previous(svc)
	sr.seen.startAt(aws.ToTime(d.CreatedAt))
	return sr.follow(ctx, aws.ToString(d.Id), sr.res.PreviousTaskDefinition)
}

// follow watches deployment id to its end and verifies health; on failure
// it diagnoses, then rolls back to prev (or follows ECS's own rollback).
func (sr *serviceRun) follow(ctx context.Context, id, prev string) error {
	if handled, err := sr.followServiceDeployment(ctx, id, prev); handled {
		return err
	}
	sr.res.DeploymentID = id
	if sr.res.Stage != failure.StageRollout { // announced already when service deployments fell back
		sr.stage(failure.StageRollout)
	}
	w, err := sr.watch(ctx, id, prev, sr.now().Add(sr.s.WaitTimeout))
	sr.res.RolloutState = string(w.dep.RolloutState)
	switch {
	case errors.Is(err, context.Canceled):
		return sr.onCancel(ctx, "", ecstypes.ServiceDeployment{}, prev, sr.fail(failure.StageRollout, runbook.Interrupted, fmt.Errorf(
			"interrupted while following deployment %s (%s); %s: %w", id, progressOf(w.dep), sr.cancelVerb(), err)))
	case errors.Is(err, context.DeadlineExceeded):
		w.outcome = outcomeTimedOut
		sr.runCut, _ = failure.RunTimeoutOf(ctx)
	case errors.Is(err, ErrNotFound):
		return sr.fail(failure.StageRollout, runbook.RolloutNotFound, fmt.Errorf("follow deployment %s: %w", id, err))
	case err != nil:
		// Credentials or permissions gone mid-wait: the deployment goes on
		// unseen, so its outcome is unknown and nothing is rolled back.
		return sr.fail(failure.StageRollout, awsx.RunbookID(err), fmt.Errorf(
			"%w: follow deployment %s (%s when last seen): %w; omdeploy did not roll back a state it could not read: fix the cause, then run `omdeploy status`",
			failure.ErrUnknown, id, progressOf(w.dep), err))
	}
	switch w.outcome {
	case outcomeCompleted:
		return sr.verifyHealth(ctx, id, prev)
	case outcomeUnknown:
		return sr.fail(failure.StageRollout, runbook.RolloutStateUnknown, fmt.Errorf(
			"%w: deployment %s %s; omdeploy did not roll back a state it never saw", failure.ErrUnknown, id, sr.outcomeText(w)))
	}

	gctx, cancel := afterDeadline(ctx)
	defer cancel()
	failErr := sr.rolloutFailure(gctx, id, w)
	switch {
	case w.outcome == outcomeReplaced:
		return failErr // not ours to undo: the other deployment is someone's change
	case w.outcome == outcomeECSRollback:
		return errors.Join(failErr, sr.followECSRollback(ctx, w.next))
	case w.outcome == outcomeFailed && w.next.Id != nil:
		sr.warn("not rolled back: deployment %s (%s) is PRIMARY now", aws.ToString(w.next.Id), aws.ToString(w.next.TaskDefinition))
		return failErr
	}
	return errors.Join(failErr, sr.rollBack(ctx, prev))
}

// rolloutFailure explains a deployment that did not complete and returns
// its failure.
func (sr *serviceRun) rolloutFailure(ctx context.Context, id string, w watched) error {
	if w.outcome == outcomeReplaced {
		return sr.fail(failure.StageRollout, runbook.RolloutReplaced, fmt.Errorf(
			"%w: deployment %s %s", ErrReplaced, id, sr.outcomeText(w)))
	}
	d := sr.diagnose(ctx, id)
	sr.res.Diagnosis = contractDiagnosis(d.event)
	rb, sentinel := d.runbookID, ErrRolloutFailed
	switch w.outcome {
	case outcomeTimedOut:
		sentinel = ErrTimedOut
		if rb == "" {
			rb = runbook.RolloutTimeout
		}
	default:
		if rb == "" {
			rb = runbook.RolloutCircuitBreaker
		}
	}
	sr.res.RunbookID = rb
	cause := ""
	if d.cause != "" {
		cause = "; " + d.cause
	}
	return sr.fail(failure.StageRollout, rb, fmt.Errorf("%w: deployment %s %s%s", sentinel, id, sr.outcomeText(w), cause))
}

// outcomeText says how the followed deployment ended, for messages.
func (sr *serviceRun) outcomeText(w watched) string {
	switch w.outcome {
	case outcomeReplaced:
		return fmt.Sprintf("is no longer PRIMARY: deployment %s (%s) replaced it", aws.ToString(w.next.Id), aws.ToString(w.next.TaskDefinition))
	case outcomeTimedOut:
		if sr.runCut != nil {
			return fmt.Sprintf("was still going when %s, before its wait_timeout of %s (%s)", sr.runCut, sr.s.WaitTimeout, progressOf(w.dep))
		}
		return fmt.Sprintf("did not finish within %s (%s)", sr.s.WaitTimeout, progressOf(w.dep))
	case outcomeUnknown:
		last := "was never read"
		if !w.seenAt.IsZero() {
			last = fmt.Sprintf("was last read at %s (%s)", w.seenAt.Format(time.TimeOnly), progressOf(w.dep))
		}
		return fmt.Sprintf("%s: no read of the service succeeded at or after its %s wait deadline nor in the %s grace after it (last error: %v)",
			last, sr.s.WaitTimeout, readGrace(sr.s.WaitTimeout), w.pollErr)
	case outcomeECSRollback:
		if w.dep.RolloutState != ecstypes.DeploymentRolloutStateFailed {
			return fmt.Sprintf("is gone: the circuit breaker failed it and ECS is rolling back to %s (deployment %s)",
				aws.ToString(w.next.TaskDefinition), aws.ToString(w.next.Id))
		}
		return fmt.Sprintf("is FAILED (%s); the circuit breaker is rolling back to %s (deployment %s)",
			reasonOf(w.dep), aws.ToString(w.next.TaskDefinition), aws.ToString(w.next.Id))
	default:
		return fmt.Sprintf("is FAILED (%s)", reasonOf(w.dep))
	}
}

// verifyHealth runs the health stage after a completed rollout and rolls
// back to prev when it fails. The checker reports its own events.
func (sr *serviceRun) verifyHealth(ctx context.Context, id, prev string) error {
	if sr.res.Plan != nil { // a deploy: it planned the images the tasks should run
		sr.compareDigests(ctx, id)
	}
	if sr.r.opts.Health == nil || sr.s.Health == nil {
		return sr.afterHealth(ctx, prev)
	}
	sr.res.Stage = failure.StageHealth
	results, err := sr.r.opts.Health.Check(ctx, sr.s.Name, *sr.s.Health)
	sr.res.Health = results
	if err == nil {
		return sr.afterHealth(ctx, prev)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		// Say plainly what runs now: the rollout completed, so the new
		// revision is live, unverified, and nothing was rolled back.
		return sr.fail(failure.StageHealth, runbook.InterruptedHealth, fmt.Errorf(
			"interrupted during the health check: %s is live (deployment %s completed), its health is unverified, and omdeploy did not roll back to %s: %w",
			sr.res.TaskDefinition, id, orNone(prev), ctx.Err()))
	}
	if _, ok := failure.StageOf(err); !ok {
		err = failure.New(failure.StageHealth, sr.s.Name, "", err)
	}
	return errors.Join(err, sr.rollBack(ctx, prev))
}

// update points the service at taskDef and returns the ID of the PRIMARY
// deployment UpdateService answers with: the one to follow. When the call
// fails in a way that leaves its outcome open (awsx.Ambiguous), the service
// is read back to learn whether it landed; the error then wraps
// failure.ErrUnknown when that cannot be learnt either.
func (sr *serviceRun) update(ctx context.Context, taskDef string, force, rollback bool) (string, error) {
	before := sr.last
	out, err := sr.r.opts.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(sr.s.Cluster), Service: aws.String(sr.s.Service),
		TaskDefinition: aws.String(taskDef), ForceNewDeployment: force,
	})
	if err != nil && awsx.Ambiguous(err) {
		id, landed, rerr := sr.readBackUpdate(ctx, taskDef, before)
		switch {
		case rerr != nil:
			// %v, not %w: the cause may be the interrupt, and an unknown
			// outcome must exit 6, not 130.
			return "", fmt.Errorf("%w: UpdateService of %s in cluster %s to %s got no answer (%v), and reading the service back failed (%v): "+
				"it may or may not be rolling out", failure.ErrUnknown, sr.s.Service, sr.s.Cluster, taskDef, err, rerr)
		case landed:
			sr.unanswered = true
			sr.warn("UpdateService to %s got no answer (%v), but reading the service back shows it was applied: deployment %s is rolling out", taskDef, err, id)
			sr.started(id, taskDef, rollback)
			return id, nil
		}
		return "", fmt.Errorf("update service %s in cluster %s to %s: %w; read back: not applied, the service stays on %s",
			sr.s.Service, sr.s.Cluster, taskDef, err, orNone(aws.ToString(before.TaskDefinition)))
	}
	if err != nil {
		switch awsx.Code(err) {
		case awsx.CodeClusterNotFound:
			return "", clusterNotFound(sr.s.Cluster, sr.r.opts.Region, err)
		case "ServiceNotFoundException", "ServiceNotActiveException":
			return "", fmt.Errorf("%w: %w", serviceNotFound(sr.s.Service, sr.s.Cluster, sr.r.opts.Region), err)
		}
		return "", fmt.Errorf("update service %s in cluster %s to %s: %w", sr.s.Service, sr.s.Cluster, taskDef, err)
	}
	d, ok := primary(*out.Service)
	if !ok {
		return "", fmt.Errorf("update service %s: the answer has no PRIMARY deployment", sr.s.Service)
	}
	id := aws.ToString(d.Id)
	if !rollback {
		sr.noteServiceDeployment(*out.Service)
	}
	sr.started(id, taskDef, rollback)
	return id, nil
}

func (sr *serviceRun) started(id, taskDef string, rollback bool) {
	sr.logger().Info("service updated", logTaskDef, taskDef, logDeployment, id, "rollback", rollback)
	sr.emit(event.DeploymentStarted{
		Service: sr.s.Name, Cluster: sr.s.Cluster, DeploymentID: id, TaskDefinition: taskDef, Rollback: rollback,
	})
}

// readBackTimeout bounds the reads that learn what an ambiguous write did.
// They run on a fresh context, since the run's may be what was cancelled.
const readBackTimeout = 20 * time.Second

// readBackUpdate reads the service after an ambiguous UpdateService to
// taskDef: it landed when the service's task definition (which
// UpdateService sets, and which its PRIMARY deployment runs) is taskDef and
// was another before the call, or, when it was taskDef already
// (force-new-deployment), when the PRIMARY deployment is none of those
// known before the call.
func (sr *serviceRun) readBackUpdate(ctx context.Context, taskDef string, before ecstypes.Service) (id string, landed bool, err error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	svc, err := sr.describeService(rctx)
	if err != nil {
		return "", false, err
	}
	d, ok := primary(svc)
	if !ok || aws.ToString(svc.TaskDefinition) != taskDef {
		return "", false, nil
	}
	if aws.ToString(before.TaskDefinition) == taskDef && deploymentIDs(before)[aws.ToString(d.Id)] {
		return "", false, nil
	}
	return aws.ToString(d.Id), true, nil
}

// deploymentIDs are the IDs of svc's deployments.
func deploymentIDs(svc ecstypes.Service) map[string]bool {
	ids := map[string]bool{}
	for _, d := range svc.Deployments {
		ids[aws.ToString(d.Id)] = true
	}
	return ids
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// previous is the task definition of the newest deployment other than the
// PRIMARY one: what a rollback returns to when the run did not start the
// deployment itself.
func previous(svc ecstypes.Service) string {
	p, _ := primary(svc)
	var best ecstypes.Deployment
	for _, d := range svc.Deployments {
		if aws.ToString(d.Id) == aws.ToString(p.Id) || aws.ToString(d.TaskDefinition) == aws.ToString(p.TaskDefinition) {
			continue
		}
		if best.Id == nil || aws.ToTime(d.CreatedAt).After(aws.ToTime(best.CreatedAt)) {
			best = d
		}
	}
	return aws.ToString(best.TaskDefinition)
}

// notFoundRunbook points a not-found error at its runbook entry.
func notFoundRunbook(err error) string {
	if errors.Is(err, ErrNotFound) {
		return runbook.RolloutNotFound
	}
	return ""
}

func progressOf(d ecstypes.Deployment) string {
	if d.Id == nil {
		return "not seen yet"
	}
	state := string(d.RolloutState)
	if state == "" {
		state = "no rollout state"
	}
	return fmt.Sprintf("%s, %d/%d running, %d pending, %d failed", state, d.RunningCount, d.DesiredCount, d.PendingCount, d.FailedTasks)
}

func reasonOf(d ecstypes.Deployment) string {
	if r := aws.ToString(d.RolloutStateReason); r != "" {
		return r
	}
	return progressOf(d)
}

// planResult is the document's record of planned, with the other
// containers whose image changes (several named in one run).
func planResult(planned event.Planned, images []result.ContainerPlan) *result.Plan {
	containers := []result.ContainerPlan{{Name: planned.Container, PreviousImage: planned.OldImage, Image: planned.NewImage}}
	for _, c := range images {
		if c.Name != planned.Container {
			containers = append(containers, c)
		}
	}
	return &result.Plan{
		CurrentTaskDefinition: planned.CurrentTaskDef, TaskDefinition: planned.NewTaskDef, Reused: planned.Reused,
		Containers: containers,
		Changes:    planned.Changes,
	}
}
