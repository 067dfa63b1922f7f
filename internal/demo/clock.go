package demo

import (
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
)

// fastClock runs speed times faster than the wall clock from start, so a
// test sees the same rollout, polling and timeouts as a person watching the
// demo, in a fraction of the time. Timers fire after d/speed of real time.
type fastClock struct {
	start time.Time
	speed float64
}

var _ clock.Clock = fastClock{}

// clockFor is the wall clock at speed 1, else a fastClock.
func clockFor(speed float64) clock.Clock {
	if speed == 1 {
		return clock.Real{}
	}
	return fastClock{start: time.Now(), speed: speed}
}

// Now is start plus the real time elapsed since, sped up.
func (c fastClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.speed))
}

// NewTimer fires after d of this clock's time.
func (c fastClock) NewTimer(d time.Duration) clock.Timer {
	return clock.Real{}.NewTimer(scale(d, c.speed))
}

// scale is d of demo time in real time at speed.
func scale(d time.Duration, speed float64) time.Duration {
	return time.Duration(float64(d) / speed)
}
