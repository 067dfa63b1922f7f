package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// CallCount is the API calls of one simulated deploy.
type CallCount struct {
	Scenario string
	Services int
	State    string         // how the (first) followed deployment ended
	Calls    map[string]int // by action
	Polls    Polls          // DescribeServices after the last UpdateService
	Elapsed  time.Duration  // simulated time from start to return
}

// Total is the number of calls.
func (c CallCount) Total() int { return total(c.Calls) }

// callScenarios are the deploys whose calls are counted, in simulated time.
func callScenarios() []struct {
	name string
	sc   scenario
} {
	crash := sim.CrashLoop(1, "panic: benchmark")
	crash.TaskStart = 10 * time.Second
	return []struct {
		name string
		sc   scenario
	}{
		{"stable at once (1 task, rollout ends 2 ms after the update)", scenario{desired: 1, rollout: sim.Slow(time.Millisecond)}},
		{"30 s rollout (2 tasks)", scenario{desired: 2, rollout: sim.Slow(10 * time.Second)}},
		{"fails after 30 s (circuit breaker), omdeploy rolls back", scenario{desired: 2, rollout: crash, breaker: true}},
		{"10 min rollout (2 tasks)", scenario{desired: 2, rollout: sim.Slow(200 * time.Second)}},
		{"10 min rollout (2 tasks each), 50 services in one cluster", scenario{services: 50, desired: 2, rollout: sim.Slow(200 * time.Second)}},
	}
}

// SimCalls counts the API calls of each scenario against the simulator, on
// a fake clock with the default poll policy (or poll, when set).
func SimCalls(ctx context.Context, poll deploy.PollPolicy) ([]CallCount, error) {
	var out []CallCount
	for _, s := range callScenarios() {
		s.sc.poll = poll
		o, err := deployOnce(ctx, newFakeClock(fakeStart), s.sc)
		if err != nil {
			return out, fmt.Errorf("%s: %w", s.name, err)
		}
		out = append(out, CallCount{Scenario: s.name, Services: max(s.sc.services, 1), State: o.states[0], Calls: o.calls, Polls: o.polls, Elapsed: o.wall})
	}
	return out, nil
}
