package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// simCluster holds the benchmark's simulated services.
const simCluster = "bench"

// scenario is one deploy against the simulator: every service rolls out
// the same way.
type scenario struct {
	services   int // default 1
	clusters   int // the services are spread over; default 1
	desired    int32
	rollout    sim.Rollout
	breaker    bool // ECS's circuit breaker, without ECS's own rollback
	noRollback bool
	poll       deploy.PollPolicy // zero: the defaults
	parallel   int               // zero: the default
}

// outcome is what one simulated deploy did.
type outcome struct {
	err   error
	wall  time.Duration // Deploy's duration on the run's clock
	ended time.Time     // when Deploy returned, on the run's clock
	// marked is when the simulator moved the last followed deployment to
	// its final state: the instant a perfect watcher would report.
	marked time.Time
	states []string // final rollout state of each followed deployment
	calls  map[string]int
	polls  Polls
}

// latency is how long after the simulator ended the deployment Deploy
// returned.
func (o outcome) latency() time.Duration { return o.ended.Sub(o.marked) }

// deployOnce builds a simulated account on clk, deploys tag v2 to its
// services with deploy.Deploy, and reads back when the simulator ended
// each followed deployment. On a fake clock, time moves whenever the
// engine waits.
func deployOnce(ctx context.Context, clk clock.Clock, sc scenario) (outcome, error) {
	s := sim.New(clk)
	n := max(sc.services, 1)
	services := make([]config.Service, n)
	for i := range services {
		name, cluster := fmt.Sprintf("svc-%02d", i), simCluster
		if sc.clusters > 1 {
			cluster = fmt.Sprintf("%s-%02d", simCluster, i%sc.clusters)
		}
		s.AddService(sim.ServiceSpec{Cluster: cluster, Name: name, Desired: sc.desired, CircuitBreaker: sc.breaker})
		s.Script(cluster, name, sc.rollout)
		services[i] = config.Service{Name: name, Cluster: cluster, Service: name, WaitTimeout: time.Hour}
	}
	rec := &recorder{ECSAPI: s, clk: clk}
	opts := deploy.Options{
		Services:   services,
		Tag:        "v2",
		NoRollback: sc.noRollback,
		Parallel:   sc.parallel,
		Poll:       sc.poll,
		ECS:        rec,
		Logs:       func(string) deploy.LogsAPI { return s },
		Region:     sim.Region,
		Clock:      clk,
	}
	if fake, ok := clk.(*fakeClock); ok {
		defer drive(fake)()
	}
	start := clk.Now()
	res, err := deploy.Deploy(ctx, opts)
	o := outcome{err: err, ended: clk.Now(), calls: s.Calls(), polls: rec.polls()}
	o.wall = o.ended.Sub(start)
	if ctx.Err() != nil {
		return o, ctx.Err()
	}
	for i, r := range res.Services {
		out, derr := s.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(services[i].Cluster), Services: []string{r.Service}})
		if derr != nil || len(out.Services) != 1 {
			return o, fmt.Errorf("describe %s after the deploy: %v", r.Service, derr)
		}
		state := "gone (replaced by the rollback)"
		for _, d := range out.Services[0].Deployments {
			if aws.ToString(d.Id) == r.DeploymentID {
				state = string(d.RolloutState)
				if at := aws.ToTime(d.UpdatedAt); at.After(o.marked) {
					o.marked = at
				}
			}
		}
		o.states = append(o.states, state)
	}
	if len(o.states) != n {
		return o, fmt.Errorf("%d of %d services have a result (deploy error: %v)", len(o.states), n, err)
	}
	return o, nil
}

// fakeStep is how far the fake clock moves at a time while the engine
// waits: the resolution of simulated-time figures.
const fakeStep = 10 * time.Millisecond

// settle is how long the driver lets the engine react to a fired timer (a
// poll, its deliveries, a watcher returning) before time moves on, so that
// simulated time does not run ahead of the code reading it.
const settle = 5 * time.Millisecond

// drive moves clk forward while the engine waits on a timer, until the
// returned func is called, so that simulated minutes pass in milliseconds:
// in fakeStep steps until a timer fires, then a pause of settle real time.
func drive(clk *fakeClock) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			created := clk.timerCreated()
			if clk.pending() == 0 {
				select {
				case <-done:
					return
				case <-created:
				}
			}
			// Move on only once the engine has been quiet for a whole
			// settle: a timer created meanwhile means it is still at
			// work, and on a loaded machine one window is not enough.
			for quiet := false; !quiet; {
				busy := clk.timerCreated()
				select {
				case <-done:
					return
				case <-busy:
				case <-time.After(settle):
					quiet = true
				}
			}
			for p := clk.pending(); p > 0 && clk.pending() >= p; {
				clk.advance(fakeStep)
			}
		}
	}()
	return func() { close(done) }
}

// fakeStart is where simulated runs begin.
var fakeStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
