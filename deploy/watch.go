package deploy

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// outcome is how a followed deployment ended.
type outcome int

const (
	outcomeCompleted   outcome = iota // COMPLETED, or the only deployment at full count
	outcomeFailed                     // FAILED (circuit breaker), no ECS rollback
	outcomeECSRollback                // FAILED and ECS is rolling back to the previous revision
	outcomeReplaced                   // another deployment became PRIMARY
	outcomeTimedOut                   // still going at the deadline
	outcomeUnknown                    // no state could be read at or after the deadline, through the grace
)

// maxReadGrace caps how long after its deadline a watcher keeps asking for
// the state it must judge, when the polls fail (throttled, hung, erroring).
// The grace is half the wait_timeout, at most this: long enough to ride
// out a throttling storm, short against the rollout it extends.
const maxReadGrace = time.Minute

// readGrace is the grace after a watcher's deadline for wait.
func readGrace(wait time.Duration) time.Duration { return min(wait/2, maxReadGrace) }

// unseenPolls is how many polls may miss a just-created deployment before it
// counts as replaced: DescribeServices can lag UpdateService briefly.
const unseenPolls = 3

// watched is what the watcher saw last.
type watched struct {
	outcome outcome
	dep     ecstypes.Deployment // the followed deployment, as last seen
	next    ecstypes.Deployment // the PRIMARY that took over, if any
	svc     ecstypes.Service
	pollErr error     // the last poll error, when polls were failing
	seenAt  time.Time // when the state in svc was read; zero: never
}

// watch follows deployment id until it ends or the deadline passes.
// prev is the task definition the service ran before, which tells ECS's
// circuit-breaker rollback from someone else's deploy. The error is the
// context's, or a poll error that waiting cannot cure.
//
// A deployment is judged only on a state read at or after the deadline: a
// failed poll there is not a timeout. The watcher keeps asking through the
// read grace, then ends with outcomeUnknown — on its own timer, so a
// poller stuck in a call cannot hold it.
func (sr *serviceRun) watch(ctx context.Context, id, prev string, deadline time.Time) (watched, error) {
	sr.waiting()
	giveUp := deadline.Add(readGrace(deadline.Sub(sr.now())))
	sub := sr.r.pollers.get(sr.s.Cluster).subscribe(ctx, sr.s.Service, deadline, giveUp)
	defer sub.cancel()
	stop := sr.r.opts.Clock.NewTimer(giveUp.Sub(sr.now()))
	defer stop.Stop()
	var w watched
	seen, misses := false, 0
	for {
		var snap snapshot
		select {
		case <-ctx.Done():
			return w, ctx.Err()
		case <-stop.C():
			w.outcome = outcomeUnknown
			return w, nil
		case snap = <-sub.ch:
		}
		late := !snap.at.Before(deadline)
		switch {
		case snap.err != nil && !transient(snap.err):
			return w, snap.err
		case snap.err != nil:
			// A poll cut short says less than what AWS answered before it
			// (throttling, say): keep that for the message.
			if w.pollErr == nil || !errors.Is(snap.err, errPollCut) {
				w.pollErr = snap.err
			}
			continue
		case snap.missing:
			return w, serviceNotFound(sr.s.Service, sr.s.Cluster, sr.r.opts.Region)
		}
		w.svc, w.pollErr, w.seenAt = snap.svc, nil, snap.at
		sr.last = snap.svc
		d, found := deploymentByID(snap.svc, id)
		if found {
			w.dep, seen = d, true
			sr.report(snap.svc, &d)
			if d.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
				sr.followTargets(ctx, id, deadline)
			}
		} else {
			sr.report(snap.svc, nil)
		}
		p, hasPrimary := primary(snap.svc)
		if hasPrimary && aws.ToString(p.Id) != id {
			w.next = p
		} else {
			w.next = ecstypes.Deployment{}
		}
		if o, done := judge(w, found, seen, ecsRollsBack(snap.svc), prev, late); done {
			w.outcome = o
			if o == outcomeReplaced || o == outcomeECSRollback {
				sr.report(snap.svc, &w.next)
			}
			return w, nil
		}
		if !found && !seen {
			misses++
			if misses >= unseenPolls && w.next.Id != nil {
				w.outcome = outcomeReplaced
				return w, nil
			}
		}
	}
}

// judge applies the rules to one observation: done reports whether the
// deployment has ended, and how.
func judge(w watched, found, seen, ecsRollsBack bool, prev string, late bool) (outcome, bool) {
	d, other := w.dep, w.next.Id != nil
	byECS := other && ecsRollsBack && prev != "" && aws.ToString(w.next.TaskDefinition) == prev
	switch {
	case !found && seen:
		// Gone: ECS finished its rollback before we saw FAILED, or
		// another deployment finished replacing ours.
		if byECS {
			return outcomeECSRollback, true
		}
		return outcomeReplaced, true
	case !found:
		// Not seen yet; the caller counts the misses.
	case d.RolloutState == ecstypes.DeploymentRolloutStateFailed:
		if byECS {
			return outcomeECSRollback, true
		}
		// With rollback on the breaker, ECS creates its rollback
		// deployment next; give it until the deadline.
		if ecsRollsBack && !other && !late {
			return 0, false
		}
		return outcomeFailed, true
	case aws.ToString(d.Status) != "PRIMARY" && other:
		return outcomeReplaced, true
	case d.RolloutState == ecstypes.DeploymentRolloutStateCompleted:
		return outcomeCompleted, true
	case d.RolloutState == "" && len(w.svc.Deployments) == 1 && d.RunningCount == d.DesiredCount:
		return outcomeCompleted, true
	}
	if late {
		return outcomeTimedOut, true
	}
	return 0, false
}

// ecsRollsBack reports whether the service's circuit breaker rolls back on
// its own.
func ecsRollsBack(svc ecstypes.Service) bool {
	dc := svc.DeploymentConfiguration
	return dc != nil && dc.DeploymentCircuitBreaker != nil && dc.DeploymentCircuitBreaker.Enable && dc.DeploymentCircuitBreaker.Rollback
}
