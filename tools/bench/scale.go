package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// ScaleRow is one number of services deployed in one run.
type ScaleRow struct {
	Services int
	Clusters int
	Wall     time.Duration // median over the repetitions
	Ratio    float64       // Wall over the one-service Wall
	Polls    Polls         // of the median run
}

// ScaleOptions shape Scale.
type ScaleOptions struct {
	Sizes    []int         // default 1, 10, 20, 50 in one cluster, then 200 in ten
	Clusters []int         // per size, the clusters its services spread over; default 1 each (200: 10)
	Reps     int           // runs per size, interleaved; default 3
	TaskStep time.Duration // per rollout step; a rollout takes three; default sim.DefaultTaskStart (7.5 s rollouts)
	Parallel int           // deploy.Options.Parallel; zero: the default
}

// Scale deploys 1, 10, 20 and 50 services of one simulated cluster and 200
// services over ten clusters, all rolling out alike, on the wall clock, and
// compares each run's wall time with one service's.
func Scale(ctx context.Context, o ScaleOptions) ([]ScaleRow, error) {
	if len(o.Sizes) == 0 {
		o.Sizes, o.Clusters = []int{1, 10, 20, 50, 200}, []int{1, 1, 1, 1, 10}
	}
	clusters := func(i int) int {
		if i < len(o.Clusters) {
			return max(o.Clusters[i], 1)
		}
		return 1
	}
	if o.Reps <= 0 {
		o.Reps = 3
	}
	if o.TaskStep <= 0 {
		// Half a poll interval past a whole number of polls, so that the
		// end falls between two polls for every size alike.
		o.TaskStep = sim.DefaultTaskStart
	}
	runs := make([][]outcome, len(o.Sizes))
	for range o.Reps {
		for i, n := range o.Sizes {
			out, err := deployOnce(ctx, clock.Real{}, scenario{services: n, clusters: clusters(i), desired: 2, rollout: sim.Slow(o.TaskStep), parallel: o.Parallel})
			if err == nil && out.err != nil {
				err = out.err
			}
			if err != nil {
				return nil, fmt.Errorf("scale: %d services: %w", n, err)
			}
			runs[i] = append(runs[i], out)
		}
	}
	rows := make([]ScaleRow, len(o.Sizes))
	for i, n := range o.Sizes {
		walls := make([]time.Duration, len(runs[i]))
		for j, r := range runs[i] {
			walls[j] = r.wall
		}
		med := medianOf(walls)
		rows[i] = ScaleRow{Services: n, Clusters: clusters(i), Wall: med}
		for _, r := range runs[i] {
			if r.wall == med {
				rows[i].Polls = r.polls
			}
		}
	}
	for i := range rows {
		rows[i].Ratio = rows[i].Wall.Seconds() / rows[0].Wall.Seconds()
	}
	return rows, nil
}
