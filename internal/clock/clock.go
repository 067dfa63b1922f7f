// Package clock is the time source of the waiting loops that a shipped
// feature runs on a clock other than the wall clock: `omdeploy demo` runs
// the engine and the simulator at a chosen speed (internal/demo), and the
// benchmark driver on simulated time (tools/bench). Tests need no clock
// of their own: they run on Real inside a testing/synctest bubble.
package clock

import "time"

// Clock is the time source every waiting loop takes.
type Clock interface {
	Now() time.Time
	// NewTimer fires once on C after d. Waiting code selects on C and ctx.Done.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer that waiting code uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now.
func (Real) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }
