package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
)

// snapshot is one observation of a service.
type snapshot struct {
	at      time.Time // when the DescribeServices call was made
	svc     ecstypes.Service
	missing bool  // MISSING or INACTIVE: deleted under us
	err     error // the poll failed; see transient
}

// pollers holds one poller per cluster, shared by every watcher of a run.
type pollers struct {
	api    ECSAPI
	clk    clock.Clock
	policy PollPolicy
	logger *slog.Logger

	byCluster perCluster[*poller]
}

func newPollers(api ECSAPI, clk clock.Clock, policy PollPolicy, logger *slog.Logger) *pollers {
	return &pollers{api: api, clk: clk, policy: policy, logger: logger}
}

func (ps *pollers) get(cluster string) *poller {
	return ps.byCluster.get(cluster, func() *poller {
		return &poller{ps: ps, cluster: cluster, watchers: newWatchers[*subscription](ps.clk, ps.policy.FastFor)}
	})
}

// poller observes the services of one cluster that are being watched, with
// one DescribeServices call per 10 of them per poll, on one timer: the cost
// of watching does not grow with the number of watchers.
type poller struct {
	ps      *pollers
	cluster string
	*watchers[*subscription]
}

// subscription receives the snapshots of one service. The poller waits for
// a watcher to take a snapshot before it delivers the next, so it never runs
// more than one poll ahead of its slowest watcher and a watcher never misses
// the poll made at its deadline.
type subscription struct {
	p        *poller
	service  string
	deadline time.Time // the watcher judges the first state read at or after it
	giveUp   time.Time // deadline plus the read grace: no poll is useful after it
	ch       chan snapshot
	done     chan struct{} // closed by cancel
	once     sync.Once
}

// subscribe starts observing service until cancel; the poller wakes at
// deadline so the watcher can end on time, and keeps polling until giveUp
// when the polls fail.
func (p *poller) subscribe(ctx context.Context, service string, deadline, giveUp time.Time) *subscription {
	s := &subscription{p: p, service: service, deadline: deadline, giveUp: giveUp, ch: make(chan snapshot, 1), done: make(chan struct{})}
	if p.add(s) {
		go p.loop(ctx)
	}
	return s
}

func (s *subscription) window() pollWindow { return pollWindow{s.deadline, s.giveUp} }

func (s *subscription) cancel() {
	s.once.Do(func() { close(s.done) })
	s.p.remove(s)
}

func (s *subscription) deliver(ctx context.Context, snap snapshot) {
	select {
	case s.ch <- snap:
	case <-s.done:
	case <-ctx.Done():
	}
}

func (p *poller) loop(ctx context.Context) {
	pollLoop(ctx, p.ps.policy, p.ps.clk, p.wake, sourceOf(p.watching, p.poll, p.young, p.stop))
}

// poll describes every watched service, 10 per call, and delivers the
// snapshots. It reports false when a call failed, to back off, and how many
// calls it made.
func (p *poller) poll(ctx context.Context, subs []*subscription) (bool, int) {
	bySvc := map[string][]*subscription{}
	for _, s := range subs {
		bySvc[s.service] = append(bySvc[s.service], s)
	}
	names := make([]string, 0, len(bySvc))
	for n := range bySvc {
		names = append(names, n)
	}
	slices.Sort(names)
	ok, calls := true, 0
	for batch := range slices.Chunk(names, maxDescribe) {
		at := p.ps.clk.Now()
		calls++
		out, err := p.describe(ctx, batch, bySvc, at)
		if err != nil {
			if ctx.Err() != nil {
				return false, calls
			}
			ok = false
			if transient(err) { // the others end the watch and are returned there
				p.ps.logger.Debug("poll failed, backing off", logCluster, p.cluster, "error", err, "kind", awsx.Classify(err).String(), logRequestID, awsx.RequestID(err))
			}
		}
		for _, name := range batch {
			snap := snapshot{at: at, err: err, missing: err == nil}
			if err == nil {
				for _, svc := range out.Services {
					if sameName(aws.ToString(svc.ServiceName), aws.ToString(svc.ServiceArn), name) && active(svc) {
						snap.svc, snap.missing = svc, false
					}
				}
			}
			for _, s := range bySvc[name] {
				s.deliver(ctx, snap)
			}
		}
	}
	return ok, calls
}

// describe makes one poll's DescribeServices call, bounded by the earliest
// moment one of its watchers stops needing it: a deadline still ahead, or
// for a watcher past its deadline, when it gives up. A call that hangs
// then ends in time for the poll the watcher needs, whatever the SDK's own
// deadlines are; its error is transient, not the run's deadline.
func (p *poller) describe(ctx context.Context, batch []string, bySvc map[string][]*subscription, at time.Time) (*ecs.DescribeServicesOutput, error) {
	var windows []pollWindow
	for _, name := range batch {
		for _, s := range bySvc[name] {
			windows = append(windows, s.window())
		}
	}
	bound := pollBound(at, windows)
	if !bound.After(at) { // every watcher has given up: the poll is moot
		return nil, errPollCut
	}
	// A duration, not a deadline: the bound is on the engine's clock,
	// which the demo runs faster than the wall's.
	pctx, cancel := context.WithTimeout(ctx, bound.Sub(p.ps.clk.Now()))
	defer cancel()
	// One attempt: the poller backs off and tries again itself, within the
	// watchers' deadlines, and sees what each attempt met (throttling).
	out, err := p.ps.api.DescribeServices(pctx, &ecs.DescribeServicesInput{Cluster: aws.String(p.cluster), Services: batch},
		func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	if err != nil && ctx.Err() == nil && pctx.Err() != nil {
		return nil, fmt.Errorf("DescribeServices in cluster %s: %w by %s", p.cluster, errPollCut, bound.Format(time.TimeOnly))
	}
	return out, err
}

// pollWindow is when a watcher needs answers: until its deadline, then,
// to decide on a state it saw, until it gives up.
type pollWindow struct{ deadline, giveUp time.Time }

// pollBound is when a poll made at at must have its answer: the earliest
// moment one of its watchers stops needing it — a deadline still ahead,
// or, for a watcher past its deadline, when it gives up.
func pollBound(at time.Time, windows []pollWindow) time.Time {
	var bound time.Time
	for _, w := range windows {
		t := w.deadline
		if !at.Before(t) {
			t = w.giveUp
		}
		if bound.IsZero() || t.Before(bound) {
			bound = t
		}
	}
	return bound
}

// errPollCut is a poll that got no answer before a watcher's deadline. It
// is transient, and not context.DeadlineExceeded: the run goes on.
var errPollCut = errors.New("no answer")

// transient says whether a poll error may pass by waiting: throttling and
// network or server errors do, credentials, permissions and a deleted
// cluster do not.
func transient(err error) bool {
	switch awsx.Classify(err) {
	case awsx.KindExpired, awsx.KindInvalidToken, awsx.KindNoCredentials, awsx.KindSSOLogin,
		awsx.KindNoProfile, awsx.KindDenied, awsx.KindNotFound:
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
