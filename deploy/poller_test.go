package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestPollerBatchesTenServicesPerCall watches 25 services of one cluster
// and counts the DescribeServices calls of each poll.
func TestPollerBatchesTenServicesPerCall(t *testing.T) {
	tests := []struct {
		services, wantPerPoll int
	}{
		{1, 1}, {10, 1}, {11, 2}, {25, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d services", tt.services), func(t *testing.T) {
			clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			s := sim.New(clk)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			policy := PollPolicy{Jitter: -1}.withDefaults()
			p := newPollers(s, clk, policy, slog.New(slog.DiscardHandler)).get("prod")
			// Subscribe everyone before the loop starts, so that every poll
			// covers all the services.
			p.running = true
			deadline := clk.Now().Add(time.Hour)
			for i := range tt.services {
				name := fmt.Sprintf("svc-%02d", i)
				s.AddService(sim.ServiceSpec{Cluster: "prod", Name: name})
				sub := p.subscribe(ctx, name, deadline)
				defer sub.cancel()
				go func() { // a watcher that keeps up
					for {
						select {
						case <-sub.ch:
						case <-ctx.Done():
							return
						}
					}
				}()
			}
			created := clk.TimerCreated()
			before := s.Calls()["DescribeServices"]
			go p.loop(ctx)
			for poll := range 6 {
				if poll > 0 {
					before = s.Calls()["DescribeServices"]
					created = clk.TimerCreated()
					clk.Advance(policy.Interval)
				}
				select {
				case <-created: // the poll is done and the poller waits again
				case <-time.After(10 * time.Second):
					t.Fatalf("poll %d did not happen", poll)
				}
				if got := s.Calls()["DescribeServices"] - before; got != tt.wantPerPoll {
					t.Fatalf("poll %d: %d DescribeServices calls, want %d", poll, got, tt.wantPerPoll)
				}
			}
		})
	}
}

func TestPollPolicy(t *testing.T) {
	p := PollPolicy{Jitter: -1}.withDefaults()
	if got := p.next(0, true); got != time.Second {
		t.Fatalf("first interval = %s, want 1s", got)
	}
	if got := p.next(time.Second, true); got != time.Second {
		t.Fatalf("young interval = %s, want 1s", got)
	}
	cur, steps := time.Second, 0
	for cur < p.Max {
		cur = p.next(cur, false)
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
