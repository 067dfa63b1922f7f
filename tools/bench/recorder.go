package bench

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/clock"
)

// recorder passes ECS calls through and notes when each DescribeServices
// call was made and how many services it named, to group them into polls.
type recorder struct {
	deploy.ECSAPI
	clk clock.Clock

	mu        sync.Mutex
	describes []describeCall
	updated   int // len(describes) when the last UpdateService returned
}

type describeCall struct {
	at       time.Time
	cluster  string
	services int
	op       string // the operation
}

var _ deploy.ECSAPI = (*recorder)(nil)

func (r *recorder) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	r.note("DescribeServices", aws.ToString(in.Cluster), len(in.Services))
	return r.ECSAPI.DescribeServices(ctx, in, optFns...)
}

// note records a read op that observes services (or service deployments).
func (r *recorder) note(op, cluster string, services int) {
	r.mu.Lock()
	r.describes = append(r.describes, describeCall{at: r.clk.Now(), op: op, cluster: cluster, services: services})
	r.mu.Unlock()
}

func (r *recorder) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	out, err := r.ECSAPI.UpdateService(ctx, in, optFns...)
	r.mu.Lock()
	r.updated = len(r.describes)
	r.mu.Unlock()
	return out, err
}

// pollGap separates polls: the calls of one poll follow each other at once,
// and the poller keeps polls at least a fifth of the interval apart.
const pollGap = 50 * time.Millisecond

// Polls describes the DescribeServices calls made after the last
// UpdateService, when only the poller calls it, grouped into polls.
type Polls struct {
	Polls           int
	Calls           int
	MaxCallsPerPoll int
	MaxPerCall      int // services named by the fullest call
	// MaxCallsPerClusterPoll is the most calls one cluster's poll made:
	// each cluster's calls grouped into polls on their own.
	MaxCallsPerClusterPoll int

	starts []time.Time // of each poll
	calls  []int       // of each poll
}

// CallsPerPoll is the mean number of DescribeServices calls per poll.
func (p Polls) CallsPerPoll() float64 {
	if p.Polls == 0 {
		return 0
	}
	return float64(p.Calls) / float64(p.Polls)
}

// CallsPerSecond is the calls' rate from the first poll to the last.
func (p Polls) CallsPerSecond() float64 { return p.CallsPerSecondAfter(0) }

// CallsPerSecondAfter is the calls' rate from the first poll at least after
// the first poll began to the last poll: the steady rate, past the young
// phase.
func (p Polls) CallsPerSecondAfter(after time.Duration) float64 {
	if p.Polls < 2 {
		return 0
	}
	first, last := -1, len(p.starts)-1
	for i, at := range p.starts {
		if at.Sub(p.starts[0]) >= after {
			first = i
			break
		}
	}
	if first < 0 || first == last {
		return 0
	}
	n := 0
	for _, c := range p.calls[first:last] {
		n += c
	}
	return float64(n) / p.starts[last].Sub(p.starts[first]).Seconds()
}

func (r *recorder) polls() Polls { return r.pollsOf("DescribeServices") }

// pollsOf groups the calls of op after the last UpdateService into polls.
func (r *recorder) pollsOf(op string) Polls {
	r.mu.Lock()
	defer r.mu.Unlock()
	var calls []describeCall
	for _, c := range r.describes[r.updated:] {
		if c.op == op {
			calls = append(calls, c)
		}
	}
	p := groupPolls(calls)
	byCluster := map[string][]describeCall{}
	for _, c := range calls {
		byCluster[c.cluster] = append(byCluster[c.cluster], c)
	}
	for _, cc := range byCluster {
		p.MaxCallsPerClusterPoll = max(p.MaxCallsPerClusterPoll, groupPolls(cc).MaxCallsPerPoll)
	}
	return p
}

// groupPolls groups calls into polls: calls less than pollGap apart belong
// to one poll.
func groupPolls(calls []describeCall) Polls {
	var p Polls
	var prev time.Time
	for _, c := range calls {
		if p.Polls == 0 || c.at.Sub(prev) >= pollGap {
			p.Polls++
			p.starts = append(p.starts, c.at)
			p.calls = append(p.calls, 0)
		}
		p.calls[p.Polls-1]++
		p.Calls++
		p.MaxCallsPerPoll = max(p.MaxCallsPerPoll, p.calls[p.Polls-1])
		p.MaxPerCall = max(p.MaxPerCall, c.services)
		prev = c.at
	}
	return p
}
