package bench

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// The benchmarks run the measurements `make bench` reports; run them with
// a fixed count, e.g. `go test -run '^$' -bench . -benchtime 20x
// ./tools/bench/`. Each iteration is one run of the measurement.

func BenchmarkDetectionLatencyCompleted(b *testing.B) {
	benchLatency(b, LatencyOptions{})
}

func BenchmarkDetectionLatencyFailed(b *testing.B) {
	benchLatency(b, LatencyOptions{Failing: true})
}

func BenchmarkDetectionLatencyLongRolloutSimulated(b *testing.B) {
	benchLatency(b, LatencyOptions{Simulated: true})
}

func benchLatency(b *testing.B, o LatencyOptions) {
	o.Runs = b.N
	res, err := DetectionLatency(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Median.Seconds(), "median-s")
	b.ReportMetric(res.P95.Seconds(), "p95-s")
}

func BenchmarkSimCalls(b *testing.B) {
	for range b.N {
		res, err := SimCalls(context.Background(), deploy.PollPolicy{})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range res {
			b.Logf("%s: %s in %s, %d calls %v, poll calls/s %.2f", c.Scenario, c.State, c.Elapsed, c.Total(), c.Calls, c.Polls.CallsPerSecond())
		}
	}
}

func BenchmarkScale(b *testing.B) {
	rows, err := Scale(context.Background(), ScaleOptions{Reps: b.N})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range rows {
		b.Logf("%d services: %s (%.2fx), %d polls, %.1f calls/poll (max %d), %.2f calls/s", r.Services, r.Wall, r.Ratio, r.Polls.Polls, r.Polls.CallsPerPoll(), r.Polls.MaxCallsPerPoll, r.Polls.CallsPerSecond())
	}
}

func BenchmarkHealthDetection(b *testing.B) {
	res, err := HealthDetection(context.Background(), b.N, healthcheck.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Median.Seconds(), "median-s")
	b.ReportMetric(res.P95.Seconds(), "p95-s")
	b.ReportMetric(res.Max.Seconds(), "max-s")
}

// BenchmarkMotoDeploy needs moto: scripts/with-moto.sh go test -bench Moto.
func BenchmarkMotoDeploy(b *testing.B) {
	for range b.N {
		res, err := MotoDeploy(context.Background(), testenv.MotoEndpoint(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %v in %s", res.Scenario, res.Calls, res.Wall)
	}
}

// BenchmarkBinary needs bin/omdeploy (make build) and moto; it builds the
// omdeploy-rusage command first.
func BenchmarkBinary(b *testing.B) {
	rusage := filepath.Join(b.TempDir(), "omdeploy-rusage")
	if out, err := exec.Command("go", "build", "-o", rusage, "../omdeploy-rusage").CombinedOutput(); err != nil {
		b.Fatalf("build omdeploy-rusage: %v\n%s", err, out)
	}
	res, err := Binary(context.Background(), "../../bin/omdeploy", rusage, b.N, testenv.MotoEndpoint(b), 200, 10)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("size %d, version median %s, deploy %+v", res.Size, res.Version.Median, res.Deploy)
}

func BenchmarkSDDetectionLatencySuccessful(b *testing.B) {
	benchSDLatency(b, SDLatencyOptions{Concurrency: 5})
}

func BenchmarkSDDetectionLatencyRollbackSuccessful(b *testing.B) {
	benchSDLatency(b, SDLatencyOptions{Concurrency: 5, Rollback: true})
}

func benchSDLatency(b *testing.B, o SDLatencyOptions) {
	o.Runs = b.N
	res, err := SDDetectionLatency(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Median.Seconds(), "median-s")
	b.ReportMetric(res.P95.Seconds(), "p95-s")
}

func BenchmarkPollCosts(b *testing.B) {
	for range b.N {
		res, err := PollCosts(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range res {
			b.Logf("%d services: deployments[] %d polls, %.2f calls/poll (max %d); service deployments %d polls, %.2f calls/poll (max %d), then %d DescribeServices",
				c.Services, c.Legacy.Polls, c.Legacy.CallsPerPoll(), c.Legacy.MaxCallsPerPoll, c.SD.Polls, c.SD.CallsPerPoll(), c.SD.MaxCallsPerPoll, c.SDDescribeServices)
		}
	}
}
