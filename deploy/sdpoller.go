package deploy

import (
	"context"
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

// maxDescribeSD is how many ARNs one DescribeServiceDeployments call
// accepts.
const maxDescribeSD = 20

// sdSnapshot is one observation of a service deployment.
type sdSnapshot struct {
	at      time.Time
	sd      ecstypes.ServiceDeployment
	missing bool // the answer listed it under failures
	err     error
}

// sdPollers holds one service-deployment poller per cluster, shared by the
// run's followers, like pollers for DescribeServices.
type sdPollers struct {
	api    ServiceDeploymentAPI
	clk    clock.Clock
	policy PollPolicy
	logger *slog.Logger

	byCluster perCluster[*sdPoller]
}

func newSDPollers(api ServiceDeploymentAPI, clk clock.Clock, policy PollPolicy, logger *slog.Logger) *sdPollers {
	return &sdPollers{api: api, clk: clk, policy: policy, logger: logger}
}

func (ps *sdPollers) get(cluster string) *sdPoller {
	return ps.byCluster.get(cluster, func() *sdPoller {
		return &sdPoller{ps: ps, cluster: cluster, watchers: newWatchers[*sdSubscription](ps.clk, ps.policy.FastFor)}
	})
}

// sdPoller describes the followed service deployments of one cluster, 20
// per DescribeServiceDeployments call, on one timer: the same schedule as
// poller (fast while young, then slower; backoff on errors), and at most
// half its calls for the same services.
type sdPoller struct {
	ps      *sdPollers
	cluster string
	*watchers[*sdSubscription]
}

// sdSubscription receives the snapshots of one service deployment; like
// subscription, the poller waits for it to take one before the next.
type sdSubscription struct {
	p        *sdPoller
	arn      string
	deadline time.Time
	giveUp   time.Time // past the deadline, when the follower stops asking
	ch       chan sdSnapshot
	done     chan struct{}
	once     sync.Once
}

func (p *sdPoller) subscribe(ctx context.Context, arn string, deadline, giveUp time.Time) *sdSubscription {
	s := &sdSubscription{p: p, arn: arn, deadline: deadline, giveUp: giveUp, ch: make(chan sdSnapshot, 1), done: make(chan struct{})}
	if p.add(s) {
		go p.loop(ctx)
	}
	return s
}

func (s *sdSubscription) window() pollWindow { return pollWindow{s.deadline, s.giveUp} }

func (s *sdSubscription) cancel() {
	s.once.Do(func() { close(s.done) })
	s.p.remove(s)
}

// loop follows the service deployments on the legacy poller's schedule.
func (p *sdPoller) loop(ctx context.Context) {
	pollLoop(ctx, p.ps.policy, p.ps.clk, p.wake, sourceOf(p.watching, p.poll, p.young, p.stop))
}

// poll describes every followed service deployment, 20 per call.
func (p *sdPoller) poll(ctx context.Context, subs []*sdSubscription) (bool, int) {
	byARN := map[string][]*sdSubscription{}
	for _, s := range subs {
		byARN[s.arn] = append(byARN[s.arn], s)
	}
	arns := make([]string, 0, len(byARN))
	for a := range byARN {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	ok, calls := true, 0
	for batch := range slices.Chunk(arns, maxDescribeSD) {
		at := p.ps.clk.Now()
		calls++
		out, err := p.describe(ctx, batch, byARN, at)
		if err != nil {
			if ctx.Err() != nil {
				return false, calls
			}
			ok = false
			if transient(err) {
				p.ps.logger.Debug("service deployment poll failed, backing off", logCluster, p.cluster, "error", err,
					"kind", awsx.Classify(err).String(), logRequestID, awsx.RequestID(err))
			}
		}
		for _, arn := range batch {
			snap := sdSnapshot{at: at, err: err, missing: err == nil}
			if err == nil {
				for _, sd := range out.ServiceDeployments {
					if aws.ToString(sd.ServiceDeploymentArn) == arn {
						snap.sd, snap.missing = sd, false
					}
				}
			}
			for _, s := range byARN[arn] {
				select {
				case s.ch <- snap:
				case <-s.done:
				case <-ctx.Done():
				}
			}
		}
	}
	return ok, calls
}

// describe makes one poll's DescribeServiceDeployments call, bounded as the
// legacy poller's DescribeServices is (see poller.describe): a call that
// hangs ends in time for the poll its followers need, and one attempt
// only, since the poller backs off itself.
func (p *sdPoller) describe(ctx context.Context, batch []string, byARN map[string][]*sdSubscription, at time.Time) (*ecs.DescribeServiceDeploymentsOutput, error) {
	var windows []pollWindow
	for _, arn := range batch {
		for _, s := range byARN[arn] {
			windows = append(windows, s.window())
		}
	}
	bound := pollBound(at, windows)
	if !bound.After(at) {
		return nil, errPollCut
	}
	pctx, cancel := context.WithTimeout(ctx, bound.Sub(p.ps.clk.Now()))
	defer cancel()
	out, err := p.ps.api.DescribeServiceDeployments(pctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: batch},
		func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	if err != nil && ctx.Err() == nil && pctx.Err() != nil {
		return nil, fmt.Errorf("DescribeServiceDeployments in cluster %s: %w by %s", p.cluster, errPollCut, bound.Format(time.TimeOnly))
	}
	return out, err
}
