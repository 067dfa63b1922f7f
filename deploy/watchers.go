package deploy

import (
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
)

// watchers is the subscription bookkeeping both pollers share (poller for
// DescribeServices, sdPoller for DescribeServiceDeployments): who is
// watched, whether the poll loop runs, and when the newest watcher came,
// for the loop's fast phase.
type watchers[S comparable] struct {
	clk     clock.Clock
	fastFor time.Duration
	wake    chan struct{} // a new watcher wants a poll now, or the last one left

	mu      sync.Mutex
	subs    map[S]struct{}
	running bool
	newest  time.Time
}

func newWatchers[S comparable](clk clock.Clock, fastFor time.Duration) *watchers[S] {
	return &watchers[S]{clk: clk, fastFor: fastFor, wake: make(chan struct{}, 1), subs: map[S]struct{}{}}
}

// add registers s, and reports whether the caller must start the poll
// loop; a loop already running is woken for a prompt first look.
func (w *watchers[S]) add(s S) (start bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.subs[s] = struct{}{}
	w.newest = w.clk.Now()
	if !w.running {
		w.running = true
		return true
	}
	w.nudge()
	return false
}

// remove forgets s; when it was the last, the loop is woken to see that it
// has no one to poll for.
func (w *watchers[S]) remove(s S) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.subs, s)
	if len(w.subs) == 0 {
		w.nudge()
	}
}

func (w *watchers[S]) nudge() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// watching returns the current watchers, or stops the loop when there are
// none.
func (w *watchers[S]) watching() []S {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.subs) == 0 {
		w.running = false
		return nil
	}
	out := make([]S, 0, len(w.subs))
	for s := range w.subs {
		out = append(out, s)
	}
	return out
}

func (w *watchers[S]) young(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Sub(w.newest) < w.fastFor
}

func (w *watchers[S]) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = false
}

// perCluster keeps one poller per cluster, made on first use: every
// follower of a run shares its cluster's.
type perCluster[P any] struct {
	mu sync.Mutex
	m  map[string]P
}

func (c *perCluster[P]) get(cluster string, newP func() P) P {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[cluster]
	if !ok {
		if c.m == nil {
			c.m = map[string]P{}
		}
		p = newP()
		c.m[cluster] = p
	}
	return p
}
