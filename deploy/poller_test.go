package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// watchAll subscribes n services of cluster prod to p, each with a watcher
// that keeps up, before the loop starts, so that every poll covers them all.
func watchAll(ctx context.Context, s *sim.Sim, p *poller, n int) {
	p.running = true
	deadline := time.Now().Add(time.Hour)
	for i := range n {
		name := fmt.Sprintf("svc-%02d", i)
		s.AddService(sim.ServiceSpec{Cluster: "prod", Name: name})
		sub := p.subscribe(ctx, name, deadline, deadline.Add(time.Minute))
		context.AfterFunc(ctx, sub.cancel)
		go func() {
			for {
				select {
				case <-sub.ch:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
}

// TestPollerBatchesTenServicesPerCall watches services of one cluster and
// counts the DescribeServices calls of each poll.
func TestPollerBatchesTenServicesPerCall(t *testing.T) {
	tests := []struct {
		services, wantPerPoll int
	}{
		{1, 1}, {10, 1}, {11, 2}, {25, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d services", tt.services), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := sim.New(clock.Real{})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				policy := PollPolicy{Jitter: -1}.withDefaults()
				p := newPollers(s, clock.Real{}, policy, slog.New(slog.DiscardHandler)).get("prod")
				watchAll(ctx, s, p, tt.services)
				go p.loop(ctx)
				// Counted between two quiet points: the loop's first poll may
				// run before this goroutine reads a count.
				before := 0
				for poll := range 6 {
					if poll > 0 {
						time.Sleep(policy.Interval)
					}
					synctest.Wait() // the poll is done and the poller waits again
					now := s.Calls()["DescribeServices"]
					if got := now - before; got != tt.wantPerPoll {
						t.Fatalf("poll %d: %d DescribeServices calls, want %d", poll, got, tt.wantPerPoll)
					}
					before = now
				}
			})
		})
	}
}

// TestPollerSteadyStateCallRate watches 25 services of one cluster (three
// calls per poll) past the young phase and counts the calls of a minute:
// about one per Interval, not one per poll.
func TestPollerSteadyStateCallRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sim.New(clock.Real{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		policy := PollPolicy{Jitter: -1}.withDefaults()
		p := newPollers(s, clock.Real{}, policy, slog.New(slog.DiscardHandler)).get("prod")
		watchAll(ctx, s, p, 25)
		go p.loop(ctx)
		time.Sleep(policy.FastFor + 30*time.Second) // young, then growing, then settled
		synctest.Wait()
		before := s.Calls()["DescribeServices"]
		time.Sleep(time.Minute)
		synctest.Wait()
		// Three calls per poll, polls 3 s apart: 60 calls, give or take the
		// poll at either end of the minute.
		if got := s.Calls()["DescribeServices"] - before; got < 57 || got > 63 {
			t.Fatalf("%d DescribeServices calls in a steady minute, want about 60 (one per Interval)", got)
		}
	})
}

func TestPollPolicy(t *testing.T) {
	p := PollPolicy{Jitter: -1}.withDefaults()
	if got := p.next(0, true, 1); got != time.Second {
		t.Fatalf("first interval = %s, want 1s", got)
	}
	if got := p.next(time.Second, true, 1); got != time.Second {
		t.Fatalf("young interval = %s, want 1s", got)
	}
	cur, steps := time.Second, 0
	for cur < p.Max {
		cur = p.next(cur, false, 1)
		steps++
	}
	if cur != p.Max || steps > 5 {
		t.Fatalf("interval grew to %s in %d steps, want the cap %s within 5", cur, steps, p.Max)
	}
	if got := p.backoff(1); got != 2*time.Second {
		t.Fatalf("first backoff = %s, want 2s", got)
	}
	if got := p.backoff(10); got != p.ThrottleMax {
		t.Fatalf("backoff(10) = %s, want the cap %s", got, p.ThrottleMax)
	}
	j := PollPolicy{Jitter: 0.1, Rand: func() float64 { return 1 }}.withDefaults()
	if got := j.jitter(time.Second); got != 1100*time.Millisecond {
		t.Fatalf("jitter at the top = %s, want 1.1s", got)
	}
	j.Rand = func() float64 { return 0 }
	if got := j.jitter(time.Second); got != 900*time.Millisecond {
		t.Fatalf("jitter at the bottom = %s, want 0.9s", got)
	}
}

// TestPollPolicySteadyInterval checks where the interval settles once the
// deployments are no longer young: at Max, or at Interval per
// DescribeServices call when a poll needs more calls than Max has seconds.
func TestPollPolicySteadyInterval(t *testing.T) {
	tests := []struct {
		name   string
		policy PollPolicy
		calls  int
		want   time.Duration
	}{
		{"defaults, 1 call", PollPolicy{}, 1, 2 * time.Second},
		{"defaults, 2 calls", PollPolicy{}, 2, 2 * time.Second},
		{"defaults, 5 calls", PollPolicy{}, 5, 5 * time.Second},
		{"Max above the floor", PollPolicy{Max: 10 * time.Second}, 5, 10 * time.Second},
		{"faster Interval lowers the floor", PollPolicy{Interval: 500 * time.Millisecond}, 5, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			p.Jitter = -1
			p = p.withDefaults()
			cur := p.next(0, true, tt.calls)
			for range 20 {
				cur = p.next(cur, false, tt.calls)
			}
			if cur != tt.want {
				t.Fatalf("settled at %s, want %s", cur, tt.want)
			}
		})
	}
}
