package bench

import (
	"sort"
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
)

var _ clock.Clock = (*fakeClock)(nil)

// fakeClock moves only when told to: drive moves it while the engine waits,
// so that the simulated-time figures take milliseconds. It is safe for
// concurrent use.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	waiters []chan struct{}
}

// newFakeClock starts a fake clock at start.
func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

// Now returns the fake time.
func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer registers a timer that fires when the clock is advanced past d.
func (f *fakeClock) NewTimer(d time.Duration) clock.Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		t.fired = true
		return t
	}
	f.timers = append(f.timers, t)
	for _, w := range f.waiters {
		close(w)
	}
	f.waiters = nil
	return t
}

// advance moves the clock forward by d, firing due timers in order.
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	kept := f.timers[:0]
	for _, t := range f.timers {
		if t.fired {
			continue
		}
		if !t.at.After(f.now) {
			t.fired = true
			t.c <- t.at
			continue
		}
		kept = append(kept, t)
	}
	f.timers = kept
}

// pending reports how many timers wait to fire.
func (f *fakeClock) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.timers {
		if !t.fired {
			n++
		}
	}
	return n
}

// timerCreated returns a channel closed when the next timer is created, so a
// test can advance the clock exactly when the code under test starts waiting.
func (f *fakeClock) timerCreated() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := make(chan struct{})
	f.waiters = append(f.waiters, w)
	return w
}

type fakeTimer struct {
	f     *fakeClock
	at    time.Time
	c     chan time.Time
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := !t.fired
	t.fired = true
	return was
}
