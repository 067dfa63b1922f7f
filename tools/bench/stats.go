// Package bench measures omdeploy: how soon it reports a deployment that
// ECS has finished, how many API calls a deploy costs, how it scales with
// services, how soon health verification passes, and what the binary costs
// to start and run. `make bench` runs it through cmd/omdeploy-bench and
// writes BENCHMARKS.md; the Benchmark functions run the same measurements
// under `go test -bench`. Nothing here is used by the product.
package bench

import (
	"slices"
	"time"
)

// Stats summarises a sample of durations.
type Stats struct {
	N                     int
	Min, Median, P95, Max time.Duration
}

// summarize computes Stats with nearest-rank percentiles, so every figure
// is a value that was measured.
func summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Stats{N: len(s), Min: s[0], Median: rank(s, 50), P95: rank(s, 95), Max: s[len(s)-1]}
}

// rank is the nearest-rank p-th percentile of sorted s.
func rank(sorted []time.Duration, p int) time.Duration {
	i := (p*len(sorted) + 99) / 100 // ceil(p/100 × n), 1-based
	return sorted[max(i, 1)-1]
}

func medianOf(ds []time.Duration) time.Duration { return summarize(ds).Median }
