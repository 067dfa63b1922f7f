package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// sdRecorder is recorder for the service-deployment engine: the simulator's
// service-deployment reads pass through too (without them the engine
// follows deployments[]), and DescribeServiceDeployments counts as a poll
// call as DescribeServices does.
type sdRecorder struct {
	*recorder
	sd    deploy.ServiceDeploymentAPI
	polls atomic.Int64 // DescribeServiceDeployments calls
}

var _ deploy.ServiceDeploymentAPI = (*sdRecorder)(nil)

func (r *sdRecorder) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	r.note("DescribeServiceDeployments", sdCluster(in.ServiceDeploymentArns), len(in.ServiceDeploymentArns))
	r.polls.Add(1)
	return r.sd.DescribeServiceDeployments(ctx, in, optFns...)
}

// sdCluster is the cluster of a batch of service deployments, from the
// first ARN (…:service-deployment/CLUSTER/SERVICE/ID): the engine batches
// per cluster.
func sdCluster(arns []string) string {
	if len(arns) == 0 {
		return ""
	}
	parts := strings.Split(arns[0], "/")
	if len(parts) < 4 {
		return ""
	}
	return parts[1]
}

func (r *sdRecorder) ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	return r.sd.ListServiceDeployments(ctx, in, optFns...)
}

// SDLatencyOptions shape SDDetectionLatency.
type SDLatencyOptions struct {
	Runs        int // default 20
	Concurrency int // runs at once, each with its own simulator; default 1
	// Rollback makes the circuit breaker fail the deployment and ECS roll
	// it back: the engine decides on ROLLBACK_SUCCESSFUL, not SUCCESSFUL.
	Rollback bool
	Poll     deploy.PollPolicy // zero: the defaults
}

// SDDetectionLatency deploys to one simulated service per run, followed
// by its service deployment, and measures on the wall clock the time from
// the simulator ending the service deployment (its finishedAt: SUCCESSFUL,
// or ROLLBACK_SUCCESSFUL once ECS's rollback completed) to deploy.Deploy
// returning. Rollouts are drawn as DetectionLatency's wall-clock ones.
func SDDetectionLatency(ctx context.Context, o SDLatencyOptions) (Latency, error) {
	if o.Runs <= 0 {
		o.Runs = 20
	}
	want := ecstypes.ServiceDeploymentStatusSuccessful
	if o.Rollback {
		want = ecstypes.ServiceDeploymentStatusRollbackSuccessful
	}
	res := Latency{Outcome: string(want), Rollout: [2]time.Duration{3 * realStep[0], 3 * realStep[1]}}
	lats, err := sample(o.Runs, o.Concurrency, func() (time.Duration, error) {
		sc := scenario{desired: 2, rollout: sim.Slow(realStep[0] + rand.N(realStep[1]-realStep[0])), poll: o.Poll}
		if o.Rollback {
			taskStart := sc.rollout.TaskStart
			sc.rollout = sim.CrashLoop(1, "panic: benchmark")
			sc.rollout.TaskStart = taskStart
			sc.breaker = true
		}
		return sdDeployOnce(ctx, clock.Real{}, sc, want)
	})
	if err != nil {
		return res, fmt.Errorf("service-deployment detection latency (%s): %w", want, err)
	}
	res.Stats = summarize(lats)
	return res, nil
}

// sdDeployOnce deploys tag v2 to one simulated service on clk, followed by
// its service deployment, and returns how long after the simulator ended
// that service deployment with status want deploy.Deploy returned.
func sdDeployOnce(ctx context.Context, clk clock.Clock, sc scenario, want ecstypes.ServiceDeploymentStatus) (time.Duration, error) {
	s, rec, opts := sdAccount(clk, sc)
	_, derr := deploy.Deploy(ctx, opts)
	ended := clk.Now()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	out, err := s.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(simCluster), Service: aws.String(opts.Services[0].Service), MaxResults: aws.Int32(1)})
	if err != nil || len(out.ServiceDeployments) != 1 {
		return 0, fmt.Errorf("list the service deployment after the deploy: %v", err)
	}
	sd := out.ServiceDeployments[0]
	if sd.Status != want || sd.FinishedAt == nil {
		return 0, fmt.Errorf("the service deployment ended %s, want %s (deploy error: %v)", sd.Status, want, derr)
	}
	if rec.polls.Load() == 0 {
		return 0, fmt.Errorf("the engine never called DescribeServiceDeployments: it followed deployments[]")
	}
	return ended.Sub(*sd.FinishedAt), nil
}

// sdAccount is a simulated account with sc's services and the deploy
// options that follow them by service deployment, through a recorder.
func sdAccount(clk clock.Clock, sc scenario) (*sim.Sim, *sdRecorder, deploy.Options) {
	s := sim.New(clk)
	n := max(sc.services, 1)
	services := make([]config.Service, n)
	for i := range services {
		name := fmt.Sprintf("svc-%02d", i)
		s.AddService(sim.ServiceSpec{Cluster: simCluster, Name: name, Desired: sc.desired, CircuitBreaker: sc.breaker, BreakerRollback: sc.breaker})
		s.Script(simCluster, name, sc.rollout)
		services[i] = config.Service{Name: name, Cluster: simCluster, Service: name, WaitTimeout: time.Hour}
	}
	rec := &sdRecorder{recorder: &recorder{ECSAPI: s, clk: clk}, sd: s}
	return s, rec, deploy.Options{
		Services: services, Tag: "v2", Parallel: sc.parallel, Poll: sc.poll,
		ECS: rec, Logs: func(string) deploy.LogsAPI { return s }, Region: sim.Region, Clock: clk,
	}
}

// PollCost compares what one poll costs the two engines in one scenario:
// the reads after the last UpdateService, grouped into polls.
type PollCost struct {
	Scenario string
	Services int
	// Legacy counts DescribeServices (deployments[]); SD counts
	// DescribeServiceDeployments.
	Legacy, SD Polls
	// SDDescribeServices is the DescribeServices calls the
	// service-deployment engine made after the last UpdateService: not
	// polls, but one read of each service's events once its deployment
	// ended.
	SDDescribeServices int
}

// PollCosts deploys 10-minute rollouts to 1, 20 and 50 services of one
// simulated cluster on a fake clock, once followed through deployments[]
// and once by service deployment, with the default poll policy.
func PollCosts(ctx context.Context) ([]PollCost, error) {
	var out []PollCost
	for _, n := range []int{1, 20, 50} {
		sc := scenario{services: n, desired: 2, rollout: sim.Slow(200 * time.Second)}
		legacy, err := deployOnce(ctx, newFakeClock(fakeStart), sc)
		if err == nil && legacy.err != nil {
			err = legacy.err
		}
		if err != nil {
			return out, fmt.Errorf("%d services, deployments[]: %w", n, err)
		}
		clk := newFakeClock(fakeStart)
		_, rec, opts := sdAccount(clk, sc)
		stop := drive(clk)
		_, err = deploy.Deploy(ctx, opts)
		stop()
		if err == nil && rec.polls.Load() == 0 {
			err = fmt.Errorf("the engine never called DescribeServiceDeployments")
		}
		if err != nil {
			return out, fmt.Errorf("%d services, service deployments: %w", n, err)
		}
		out = append(out, PollCost{Scenario: "10 min rollouts (2 tasks each)", Services: n, Legacy: legacy.polls,
			SD: rec.pollsOf("DescribeServiceDeployments"), SDDescribeServices: rec.pollsOf("DescribeServices").Calls})
	}
	return out, nil
}
