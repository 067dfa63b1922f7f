package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
)

// undoLast is `omdeploy rollback` without --to-revision: the task
// definition of the source revision of the service's last service
// deployment, which is what the service ran before it, whatever revision
// numbers lie between (a deploy from :3 to :7 goes back to :3, not :6).
// handled is false where service deployments cannot be read (the
// operations are unavailable, said once in a warning, or the service has
// none): the caller then picks the previous revision of the family.
func (sr *serviceRun) undoLast(ctx context.Context, cur string) (to string, handled bool, err error) {
	rd, ok := sdReaderOf(sr.r.opts)
	if !ok || sr.r.sd == nil || sr.r.sd.off.Load() {
		return "", false, nil
	}
	sds, err := rd.recent(ctx, sr.s.Cluster, sr.s.Service, 1)
	if err == nil && len(sds) == 1 {
		var tds map[string]string
		if tds, err = rd.taskDefinitions(ctx, sds); err == nil {
			return sr.undoTarget(sds[0], tds, cur)
		}
	}
	switch {
	case err != nil && sdUnavailable(err):
		sr.undoFallBack(errMessage(err))
		return "", false, nil
	case err != nil:
		return "", true, fmt.Errorf("find the last service deployment of %s: %w", sr.s.Service, err)
	}
	sr.warn("service %s has no service deployment on record: going back to the previous ACTIVE revision of its family", sr.s.Service)
	return "", false, nil
}

// undoTarget is the task definition undoing sd returns the service to.
func (sr *serviceRun) undoTarget(sd ecstypes.ServiceDeployment, tds map[string]string, cur string) (string, bool, error) {
	arn := aws.ToString(sd.ServiceDeploymentArn)
	src := sourceRevision(sd)
	if src == "" {
		return "", true, fmt.Errorf("%w: the last service deployment of %s, %s, was its first: it has no source revision to return to; "+
			"give --to-revision N", ErrNoRollbackTarget, sr.s.Service, arn)
	}
	to := tds[src]
	if to == "" {
		return "", true, fmt.Errorf("%w: the source revision %s of service deployment %s names no task definition; give --to-revision N",
			ErrNoRollbackTarget, src, arn)
	}
	if to == cur {
		why := "the service runs it again"
		if sd.Status == ecstypes.ServiceDeploymentStatusRollbackSuccessful {
			why = "ECS rolled that deployment back already"
		}
		return "", true, &revisionChoiceError{current: true, msg: fmt.Sprintf(
			"the last service deployment of %s, %s (%s), came from %s and %s", sr.s.Service, arn, sd.Status, to, why)}
	}
	sr.undoes, sr.res.UndoneServiceDeployment = arn, arn
	return to, true, nil
}

// undoFallBack is fallBack for the rollback command: deployments[] cannot
// say what the last deployment came from, so the rollback goes to the
// previous ACTIVE revision of the family, as before service deployments.
func (sr *serviceRun) undoFallBack(why string) {
	d := sr.r.sd
	d.off.Store(true)
	d.once.Do(func() {
		sr.emit(event.Warning{Message: "service deployments unavailable (" + why + "): rolling back to the previous ACTIVE revision " +
			"of each service's task-definition family instead of the source revision of its last service deployment. " +
			"Where the operations exist, allow ecs:ListServiceDeployments, ecs:DescribeServiceDeployments and ecs:DescribeServiceRevisions"})
	})
}
