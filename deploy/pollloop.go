package deploy

import (
	"context"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
)

// pollSource is what the poll schedule needs of a poller, so that the
// DescribeServices and the DescribeServiceDeployments pollers keep one
// schedule: the watchers' windows with a poll of exactly those watchers
// (nil windows: no one watches, the loop ends), whether a watcher is
// young, how to mark the loop stopped, and whether anyone still watches.
type pollSource struct {
	next     func() ([]pollWindow, func(context.Context) (ok bool, calls int))
	young    func(now time.Time) bool
	stop     func()
	watching func() bool
}

// sourceOf is the pollSource of a poller whose watching lists its current
// subscriptions (nil: none, and the loop stops) and whose poll serves
// exactly those.
func sourceOf[S interface{ window() pollWindow }](watching func() []S, poll func(context.Context, []S) (bool, int), young func(time.Time) bool, stop func()) pollSource {
	return pollSource{
		next: func() ([]pollWindow, func(context.Context) (bool, int)) {
			subs := watching()
			if subs == nil {
				return nil, nil
			}
			windows := make([]pollWindow, len(subs))
			for i, s := range subs {
				windows[i] = s.window()
			}
			return windows, func(ctx context.Context) (bool, int) { return poll(ctx, subs) }
		},
		young:    young,
		stop:     stop,
		watching: func() bool { return watching() != nil },
	}
}

// pollLoop polls until no one watches or ctx ends: fast while a watcher is
// young, slower as the deployments settle, backing off after a failed
// poll, and never past a watcher's deadline or give-up time. New
// watchers wake it for a prompt first look, but polls stay at least
// minGap apart, so services starting together share one.
func pollLoop(ctx context.Context, policy PollPolicy, clk clock.Clock, wake chan struct{}, src pollSource) {
	minGap := policy.Interval / 5
	var interval time.Duration
	failures := 0
	for {
		select {
		case <-wake: // watchers subscribed so far are in this poll
		default:
		}
		windows, poll := src.next()
		if windows == nil {
			return
		}
		last := clk.Now()
		ok, calls := poll(ctx)
		if ctx.Err() != nil {
			src.stop()
			return
		}
		now := clk.Now()
		var wait time.Duration
		if ok {
			failures = 0
			interval = policy.next(interval, src.young(now), calls)
			wait = policy.jitter(interval)
		} else {
			failures++
			wait = policy.jitter(policy.backoff(failures))
		}
		for _, w := range windows {
			for _, t := range []time.Time{w.deadline, w.giveUp} {
				if left := t.Sub(now); left > 0 && left < wait {
					wait = left
				}
			}
			// Past its deadline a watcher needs one good read before
			// giveUp: ask a few times in the grace, not once at its end.
			if !now.Before(w.deadline) {
				wait = min(wait, max(w.giveUp.Sub(w.deadline)/4, policy.Interval/5))
			}
		}
		for {
			t := clk.NewTimer(wait)
			var woken bool
			select {
			case <-ctx.Done():
				t.Stop()
				src.stop()
				return
			case <-t.C():
			case <-wake:
				t.Stop()
				woken = true
			}
			if !woken {
				break
			}
			if !src.watching() { // the last watcher left
				return
			}
			interval = 0
			if wait = last.Add(minGap).Sub(clk.Now()); wait <= 0 {
				break
			}
		}
	}
}
