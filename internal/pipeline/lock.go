package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/preflight"
)

// acquireLocks takes the deploy lock of every service that has `lock:`,
// in config order; on a failure it gives back those it took. The lease's
// times are the wall clock's, not the run's clock: other machines compare
// them.
func acquireLocks(ctx context.Context, opts Options) ([]*lock.Lease, error) {
	var leases []*lock.Lease
	for _, s := range opts.Services {
		if s.Lock == nil {
			continue
		}
		name := lock.Name(s.Cluster, s.Service)
		if opts.AWS.Lock == nil {
			releaseLocks(ctx, opts, leases)
			return nil, failure.New(failure.StagePreflight, s.Name, "", fmt.Errorf("deploy lock %s: no SSM client to keep it with", name))
		}
		l, stale, err := lock.Acquire(ctx, opts.AWS.Lock, name, opts.Actor, s.Lock.TTL, time.Now())
		if err != nil {
			releaseLocks(ctx, opts, leases)
			return nil, lockFailure(s, name, err, opts.AWS)
		}
		if stale != nil {
			report(opts, event.Warning{Service: s.Name, Message: fmt.Sprintf("deploy lock %s: took over the lease of %s, expired since %s",
				name, stale, stale.ExpiresAt.UTC().Format(time.RFC3339))})
		}
		leases = append(leases, l)
	}
	return leases, nil
}

// releaseLocks gives every lease back, each on a bounded context of its
// own (see lock.Lease.Release), so an interrupted run releases too. A
// lease that cannot be released is a warning: it expires by itself.
func releaseLocks(ctx context.Context, opts Options, leases []*lock.Lease) {
	for _, l := range leases {
		if err := l.Release(ctx); err != nil {
			report(opts, event.Warning{Message: fmt.Sprintf("release deploy lock: %v; it expires at %s, or remove it with `omdeploy unlock`",
				err, l.Holder.ExpiresAt.UTC().Format(time.RFC3339))})
		}
	}
}

// lockFailure is the run's failure when a lock could not be taken: held
// by another run, with the runbook's fix naming the holder; else the AWS
// error with its own fix.
func lockFailure(s config.Service, name string, err error, a AWS) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return failure.New(failure.StagePreflight, s.Name, "", err)
	}
	var held *lock.HeldError
	if errors.As(err, &held) {
		holder := "its holder"
		if !held.Unreadable {
			holder = held.Holder.String()
		}
		return &failure.Error{Stage: failure.StagePreflight, Service: s.Name, RunbookID: runbook.LockHeld, Err: err,
			Fix: runbook.Fix(runbook.LockHeld, map[string]string{"holder": holder, "service": s.Name, "parameter": name})}
	}
	id, fix := preflight.AWSErrorFix(err, a.Profile, a.Region)
	return &failure.Error{Stage: failure.StagePreflight, Service: s.Name, RunbookID: id, Fix: fix, Err: err}
}
