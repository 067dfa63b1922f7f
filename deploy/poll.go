package deploy

import (
	"math/rand/v2"
	"time"
)

// PollPolicy says how often deployments are observed. A deployment is
// polled right after it starts, then every Interval while it is young (so a
// failure or the end is seen within about a second), then less often up to
// Max, so that a long rollout's end is still seen within about a second on
// the median; throttling and transient errors back off exponentially up to
// ThrottleMax. Zero fields take the defaults.
//
// A cluster's services are described ten per call, so a poll of n services
// costs ceil(n/10) calls; past the young phase the interval is also at least
// Interval per call, which holds a cluster to about one DescribeServices call
// per Interval however many of its services are watched.
type PollPolicy struct {
	Interval    time.Duration  // default 1s
	FastFor     time.Duration  // how long after the newest deployment started Interval holds; default 60s
	Max         time.Duration  // the interval then grows by half per poll up to Max; default 2s
	Jitter      float64        // ± this fraction of every wait, so many runs do not poll in step; default 0.1, negative: none
	ThrottleMax time.Duration  // backoff cap while throttled or erroring; default 30s
	Rand        func() float64 // [0,1) source for jitter; default math/rand/v2
}

// Defaults of PollPolicy.
const (
	DefaultPollInterval = time.Second
	DefaultPollFastFor  = time.Minute
	DefaultPollMax      = 2 * time.Second
	DefaultPollJitter   = 0.1
	DefaultThrottleMax  = 30 * time.Second
)

func (p PollPolicy) withDefaults() PollPolicy {
	if p.Interval <= 0 {
		p.Interval = DefaultPollInterval
	}
	if p.FastFor <= 0 {
		p.FastFor = DefaultPollFastFor
	}
	if p.Max < p.Interval {
		p.Max = max(DefaultPollMax, p.Interval)
	}
	if p.Jitter == 0 {
		p.Jitter = DefaultPollJitter
	}
	if p.ThrottleMax <= 0 {
		p.ThrottleMax = DefaultThrottleMax
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// next is the interval after cur for a poll that took calls calls:
// Interval while young, then growing to Max, or to Interval per call when
// that is longer.
func (p PollPolicy) next(cur time.Duration, young bool, calls int) time.Duration {
	if young || cur < p.Interval {
		return p.Interval
	}
	return min(max(p.Max, time.Duration(calls)*p.Interval), cur+cur/2)
}

// backoff is the wait after the n-th consecutive throttled or failed poll
// (n >= 1): twice the interval, doubling.
func (p PollPolicy) backoff(n int) time.Duration {
	d := 2 * p.Interval
	for i := 1; i < n && d < p.ThrottleMax; i++ {
		d *= 2
	}
	return min(d, p.ThrottleMax)
}

// jitter spreads d by ±Jitter.
func (p PollPolicy) jitter(d time.Duration) time.Duration {
	if p.Jitter <= 0 || d <= 0 {
		return d
	}
	f := 1 + p.Jitter*(2*p.Rand()-1)
	return time.Duration(float64(d) * f)
}
