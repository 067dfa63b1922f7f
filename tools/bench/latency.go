package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// Latency is how long after the simulator ended a deployment omdeploy
// returned, over many runs.
type Latency struct {
	Outcome string           // COMPLETED or FAILED
	Rollout [2]time.Duration // the range rollout lengths were drawn from
	Stats
}

// LatencyOptions shape DetectionLatency.
type LatencyOptions struct {
	Runs        int  // default 20
	Concurrency int  // runs at once, each with its own simulator; default 1
	Failing     bool // the circuit breaker fails the deployment; omdeploy does not roll back
	// Simulated runs on a fake clock: rollouts of minutes, measured in
	// simulated time; otherwise the wall clock and rollouts of seconds.
	Simulated bool
	Poll      deploy.PollPolicy // zero: the defaults
}

// Rollout lengths: a deployment of two tasks ends after three steps
// (two tasks start, then COMPLETED; or three tasks fail and the breaker
// trips), each drawn from these ranges so that runs do not line up with
// the poll interval.
var (
	realStep = [2]time.Duration{400 * time.Millisecond, 800 * time.Millisecond}
	simStep  = [2]time.Duration{time.Minute, 200 * time.Second}
)

// DetectionLatency deploys to one simulated service per run and measures
// the time from the simulator marking the deployment COMPLETED (or FAILED)
// to deploy.Deploy returning.
func DetectionLatency(ctx context.Context, o LatencyOptions) (Latency, error) {
	if o.Runs <= 0 {
		o.Runs = 20
	}
	step := realStep
	if o.Simulated {
		step = simStep
	}
	want := types.DeploymentRolloutStateCompleted
	if o.Failing {
		want = types.DeploymentRolloutStateFailed
	}
	res := Latency{Outcome: string(want), Rollout: [2]time.Duration{3 * step[0], 3 * step[1]}}

	lats, err := sample(o.Runs, o.Concurrency, func() (time.Duration, error) {
		taskStart := step[0] + rand.N(step[1]-step[0])
		sc := scenario{desired: 2, rollout: sim.Slow(taskStart), poll: o.Poll}
		if o.Failing {
			sc.rollout = sim.CrashLoop(1, "panic: benchmark")
			sc.rollout.TaskStart = taskStart
			sc.breaker, sc.noRollback = true, true
		}
		var clk clock.Clock = clock.Real{}
		if o.Simulated {
			clk = newFakeClock(fakeStart)
		}
		out, err := deployOnce(ctx, clk, sc)
		if err == nil && out.states[0] != string(want) {
			err = fmt.Errorf("the deployment ended %s, want %s (deploy error: %v)", out.states[0], want, out.err)
		}
		return out.latency(), err
	})
	if err != nil {
		return res, fmt.Errorf("detection latency (%s): %w", want, err)
	}
	res.Stats = summarize(lats)
	return res, nil
}

// sample runs one runs times, concurrency at once, and returns the
// durations it measured, or how many runs failed and the first error.
func sample(runs, concurrency int, one func() (time.Duration, error)) ([]time.Duration, error) {
	var (
		mu   sync.Mutex
		ds   []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, max(concurrency, 1))
	for range runs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d, err := one()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ds = append(ds, d)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return ds, fmt.Errorf("%d of %d runs failed, first: %w", len(errs), runs, errs[0])
	}
	return ds, nil
}
