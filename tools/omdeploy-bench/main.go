// Command omdeploy-bench runs omdeploy's benchmarks, prints the summary
// table and writes BENCHMARKS.md. `make bench` runs it through
// scripts/bench.sh, which builds the binary and starts moto first.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/motoenv"
	"github.com/omdeploy/omdeploy/tools/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "omdeploy-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("omdeploy-bench", flag.ContinueOnError)
	out := fs.String("out", "BENCHMARKS.md", "write the report to `FILE`")
	bin := fs.String("bin", "bin/omdeploy", "the built binary to measure")
	rusage := fs.String("rusage", "bin/omdeploy-rusage", "the omdeploy-rusage command, which runs the binary and measures it")
	runs := fs.Int("runs", 20, "runs per latency and start-up figure")
	reps := fs.Int("reps", 3, "repetitions per scale size")
	moto := fs.String("moto", os.Getenv(motoenv.Env), "moto endpoint (default $"+motoenv.Env+"); empty: skip the moto figures")
	commit := fs.String("commit", "unknown", "commit being measured, for the report")
	command := fs.String("command", "make bench", "command that ran this, for the report")
	only := fs.String("only", "", "run only the steps whose names contain `TEXT` (the report then lacks the others)")
	motoRuns := fs.Int("moto-runs", 9, "omdeploy runs of each kind per size in the moto comparison (full, --skip-preflight)")
	rssServices := fs.Int("rss-services", 200, "services the binary deploys on moto for its peak RSS")
	rssClusters := fs.Int("rss-clusters", 10, "clusters those services are spread over")
	cliRuns := fs.Int("cli-runs", 3, "aws CLI runs per size in the moto comparison")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *moto != "" {
		// The driver creates and deploys services there.
		if err := motoenv.CheckLoopback(*moto); err != nil {
			return err
		}
	}
	start := time.Now()
	r := bench.Report{Command: *command, Date: start, Commit: *commit, Machine: bench.ThisMachine()}
	step := func(name string, f func() error) error {
		t := time.Now()
		fmt.Fprintf(stderr, "bench: %s...", name)
		err := f()
		fmt.Fprintf(stderr, " %s\n", time.Since(t).Round(100*time.Millisecond))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"detection latency, COMPLETED", func() error {
			l, err := bench.DetectionLatency(ctx, bench.LatencyOptions{Runs: *runs, Concurrency: 5})
			r.Latency = append(r.Latency, l)
			return err
		}},
		{"detection latency, FAILED", func() error {
			l, err := bench.DetectionLatency(ctx, bench.LatencyOptions{Runs: *runs, Concurrency: 5, Failing: true})
			r.Latency = append(r.Latency, l)
			return err
		}},
		{"detection latency, service deployment SUCCESSFUL", func() error {
			l, err := bench.SDDetectionLatency(ctx, bench.SDLatencyOptions{Runs: *runs, Concurrency: 5})
			r.SDLatency = append(r.SDLatency, l)
			return err
		}},
		{"detection latency, service deployment ROLLBACK_SUCCESSFUL", func() error {
			l, err := bench.SDDetectionLatency(ctx, bench.SDLatencyOptions{Runs: *runs, Concurrency: 5, Rollback: true})
			r.SDLatency = append(r.SDLatency, l)
			return err
		}},
		{"calls per poll, service deployments vs deployments[] (simulator)", func() error {
			var err error
			r.PollCosts, err = bench.PollCosts(ctx)
			return err
		}},
		{"detection latency, long rollouts (simulated)", func() error {
			var err error
			r.LongLatency, err = bench.DetectionLatency(ctx, bench.LatencyOptions{Runs: *runs, Concurrency: 5, Simulated: true})
			return err
		}},
		{"API calls (simulator)", func() error {
			var err error
			r.SimCalls, err = bench.SimCalls(ctx, deploy.PollPolicy{})
			return err
		}},
		{"API calls (moto)", func() error {
			if *moto == "" {
				r.Skipped = append(r.Skipped, "the moto figures: no moto endpoint (run through scripts/with-moto.sh or give -moto).")
				return nil
			}
			m, err := bench.MotoDeploy(ctx, *moto)
			r.MotoCalls = &m
			return err
		}},
		{"full deploy vs --skip-preflight vs the aws CLI (moto)", func() error {
			if *moto == "" {
				return nil // said once, by the API calls step
			}
			if _, err := os.Stat(*bin); err != nil {
				r.Skipped = append(r.Skipped, fmt.Sprintf("the moto comparison: %s does not exist (make build).", *bin))
				return nil
			}
			awsPath, why := bench.LookAWS()
			if why != "" {
				r.Skipped = append(r.Skipped, why)
			}
			dir, err := os.MkdirTemp("", "omdeploy-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			r.MotoRuns, err = bench.CompareOnMoto(ctx, bench.MotoRunsOptions{
				Bin: *bin, Rusage: *rusage, MotoURL: *moto, Dir: dir, Runs: *motoRuns, CLIRuns: *cliRuns, AWS: awsPath,
			})
			return err
		}},
		{"scale", func() error {
			var err error
			r.Scale, err = bench.Scale(ctx, bench.ScaleOptions{Reps: *reps})
			return err
		}},
		{"health", func() error {
			var err error
			r.Health, err = bench.HealthDetection(ctx, *runs, healthcheck.Options{})
			return err
		}},
		{"previous defaults: long rollouts, API calls, health", func() error {
			var err error
			p := &r.Previous
			if p.LongLatency, err = bench.DetectionLatency(ctx, bench.LatencyOptions{Runs: *runs, Concurrency: 5, Simulated: true, Poll: bench.PreviousPoll}); err != nil {
				return err
			}
			if p.SimCalls, err = bench.SimCalls(ctx, bench.PreviousPoll); err != nil {
				return err
			}
			p.Health, err = bench.HealthDetection(ctx, *runs, bench.PreviousHealth)
			return err
		}},
		{"binary", func() error {
			if _, err := os.Stat(*bin); err != nil {
				r.Skipped = append(r.Skipped, fmt.Sprintf("the binary: %s does not exist (make build).", *bin))
				return nil
			}
			b, err := bench.Binary(ctx, *bin, *rusage, *runs, *moto, *rssServices, *rssClusters)
			r.Binary = &b
			return err
		}},
	}
	for _, s := range steps {
		if !strings.Contains(s.name, *only) {
			continue
		}
		if err := step(s.name, s.f); err != nil {
			return err
		}
	}
	r.Took = time.Since(start)
	if err := os.WriteFile(*out, []byte(r.Markdown()), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, r.Targets())
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, r.Summary())
	fmt.Fprintf(stdout, "\nwrote %s in %s\n", *out, r.Took.Round(time.Second))
	return nil
}
