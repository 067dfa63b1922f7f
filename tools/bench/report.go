package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
)

// The defaults before tuning, which BENCHMARKS.md measures side by side
// with the current ones: polls settled every 5 s after the first minute,
// and health retries backed off to 5 s.
var (
	PreviousPoll   = deploy.PollPolicy{Max: 5 * time.Second}
	PreviousHealth = healthcheck.Options{MaxBackoff: 5 * time.Second}
)

// Report is everything one `make bench` measured.
type Report struct {
	Command string
	Date    time.Time
	Commit  string
	Took    time.Duration
	Machine Machine

	Latency []Latency // wall clock: COMPLETED, FAILED
	// SDLatency is the service-deployment engine's: SUCCESSFUL,
	// ROLLBACK_SUCCESSFUL (wall clock); PollCosts compares what one poll
	// costs it with deployments[].
	SDLatency   []Latency
	PollCosts   []PollCost
	LongLatency Latency // simulated time, rollouts of minutes
	SimCalls    []CallCount
	MotoCalls   *MotoCalls // nil: no moto
	MotoRuns    []MotoRuns // full deploy, --skip-preflight and the aws CLI on moto
	Scale       []ScaleRow
	Health      HealthLatency
	Binary      *BinaryResult // nil: not measured
	Skipped     []string      // what was not measured, and why

	// Previous is the same measurements with the defaults before tuning
	// (PreviousPoll, PreviousHealth), where options can restore them.
	Previous struct {
		LongLatency Latency
		SimCalls    []CallCount
		Health      HealthLatency
	}
}

// Others are the other tools' documented poll intervals: context, not
// measured here.
const (
	othersLatency = "`aws ecs wait services-stable`: every 15 s; ecspresso: 3 s, then every 15 s; " +
		"amazon-ecs-deploy-task-definition Action: 15 s, backing off to 120 s"
	othersRate = "`aws ecs wait services-stable`: 1 call / 15 s per 10 services"
)

// Targets of the figures (issue 16 raised the binary's and the peak RSS's
// with the SDK modules and the 200-service deploy).
const (
	binaryTargetMB  = 35.0
	rssTargetMB     = 80.0
	startupTarget   = 20 * time.Millisecond
	scaleWallTarget = 1.5 // 200 services in ten clusters vs one service
)

// scaleTargets are the wall-time targets by number of services.
var scaleTargets = map[int]float64{20: 1.3, 200: scaleWallTarget}

// label names a scale run's size: "20 svc", "200 svc in 10 clusters".
func (s ScaleRow) label() string {
	if s.Clusters > 1 {
		return fmt.Sprintf("%d svc in %d clusters", s.Services, s.Clusters)
	}
	return fmt.Sprintf("%d svc", s.Services)
}

// callLimit is the most DescribeServices calls one cluster's poll may make:
// one per ten of the cluster's services.
func (s ScaleRow) callLimit() int {
	perCluster := (s.Services + max(s.Clusters, 1) - 1) / max(s.Clusters, 1)
	return (perCluster + 9) / 10
}

// row is one line of the summary table.
type row struct {
	measure, target, measured, others string
	ok                                *bool // nil: context, no target
}

func okIf(b bool) *bool { return &b }

// Summary returns the summary table in Markdown: each target, what was
// measured, whether it holds.
func (r Report) Summary() string {
	var b strings.Builder
	b.WriteString("| Measure | Target | Measured | Holds | Other tools: documented poll interval (not measured by us) |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, x := range r.rows() {
		holds := "—"
		if x.ok != nil {
			holds = map[bool]string{true: "yes", false: "**NO**"}[*x.ok]
		}
		others := x.others
		if others == "" {
			others = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", x.measure, x.target, x.measured, holds, others)
	}
	return b.String()
}

func (r Report) rows() []row {
	var rows []row
	latency := func(engine string, l Latency) row {
		return row{
			measure:  fmt.Sprintf("Detection latency, %s%s (%d runs, wall clock)", engine, l.Outcome, l.N),
			target:   "≤ 1 s median",
			measured: fmt.Sprintf("median %s, p95 %s", secs(l.Median), secs(l.P95)),
			ok:       okIf(l.N > 0 && l.Median <= time.Second),
			others:   othersLatency,
		}
	}
	for _, l := range r.Latency {
		rows = append(rows, latency("", l))
	}
	for _, l := range r.SDLatency {
		rows = append(rows, latency("service deployment ", l))
	}
	if row, ok := r.pollCostRow(); ok {
		rows = append(rows, row)
	}
	if l := r.LongLatency; l.N > 0 {
		rows = append(rows, row{
			measure:  fmt.Sprintf("Detection latency, %s–%s rollouts (%d runs, simulated time)", mins(l.Rollout[0]), mins(l.Rollout[1]), l.N),
			target:   "(context)",
			measured: fmt.Sprintf("median %s, p95 %s", secs(l.Median), secs(l.P95)),
			others:   othersLatency,
		})
	}
	rows = append(rows, r.motoRows()...)
	if len(r.Scale) > 0 {
		var parts []string
		ok := true
		for _, s := range r.Scale {
			limit := s.callLimit()
			ok = ok && s.Polls.MaxCallsPerClusterPoll <= limit && s.Polls.Polls > 0
			parts = append(parts, fmt.Sprintf("%s: %d", s.label(), s.Polls.MaxCallsPerClusterPoll))
		}
		rows = append(rows, row{
			measure:  "DescribeServices calls per cluster per poll (most in any poll)",
			target:   "≤ 1 per 10 services of the cluster",
			measured: strings.Join(parts, "; "),
			ok:       okIf(ok),
		})
	}
	if rate, ok := r.steadyRate(); ok {
		rows = append(rows, rate)
	}
	if len(r.Scale) > 0 {
		for _, s := range r.Scale {
			if limit, ok := scaleTargets[s.Services]; ok {
				rows = append(rows, row{
					measure:  fmt.Sprintf("Wall time, %s vs 1 service (wall clock)", s.label()),
					target:   fmt.Sprintf("≤ %g×", limit),
					measured: fmt.Sprintf("%.2f× (%s vs %s)", s.Ratio, secs(s.Wall), secs(r.Scale[0].Wall)),
					ok:       okIf(s.Ratio <= limit),
				})
			}
		}
	}
	if h := r.Health; h.N > 0 {
		rows = append(rows, row{
			measure:  fmt.Sprintf("Health: endpoint healthy → verified (%d runs, defaults)", h.N),
			target:   "≤ 2 s",
			measured: fmt.Sprintf("median %s, p95 %s, max %s", secs(h.Median), secs(h.P95), secs(h.Max)),
			ok:       okIf(h.P95 <= 2*time.Second),
		})
	}
	if b := r.Binary; b != nil {
		rows = append(rows,
			row{
				measure:  fmt.Sprintf("Start-up: `omdeploy version` (median of %d)", b.Version.N),
				target:   "≤ 20 ms",
				measured: ms(b.Version.Median),
				ok:       okIf(b.Version.Median <= startupTarget),
			},
			row{measure: "Binary size", target: fmt.Sprintf("≤ %g MB", binaryTargetMB), measured: mb(b.Size), ok: okIf(b.Size <= binaryTargetMB*1e6)},
		)
		if d := b.Deploy; d.Services > 0 {
			rows = append(rows, row{
				measure:  fmt.Sprintf("Peak RSS, the binary deploying %d services in %d clusters on moto (preflight included)", d.Services, d.Clusters),
				target:   fmt.Sprintf("≤ %g MB", rssTargetMB),
				measured: mb(d.RSS),
				ok:       okIf(d.RSS > 0 && d.RSS <= rssTargetMB*1e6),
			})
		}
	}
	return rows
}

// pollCostRow says whether following service deployments costs no more
// calls per poll than following deployments[], mean and most, at each size.
func (r Report) pollCostRow() (row, bool) {
	if len(r.PollCosts) == 0 {
		return row{}, false
	}
	var parts []string
	ok := true
	for _, c := range r.PollCosts {
		ok = ok && c.SD.Polls > 0 && c.SD.MaxCallsPerPoll <= c.Legacy.MaxCallsPerPoll && c.SD.CallsPerPoll() <= c.Legacy.CallsPerPoll()+0.05
		parts = append(parts, fmt.Sprintf("%d svc: %.2f / %d vs %.2f / %d", c.Services, c.SD.CallsPerPoll(), c.SD.MaxCallsPerPoll, c.Legacy.CallsPerPoll(), c.Legacy.MaxCallsPerPoll))
	}
	return row{
		measure:  "Calls per poll, service deployments vs deployments[] (mean / max; 10 min rollouts, simulated time)",
		target:   "≤ the deployments[] path",
		measured: strings.Join(parts, "; "),
		ok:       okIf(ok),
	}, true
}

// steadyAfter is when the poller has left its young phase (FastFor) and
// its interval has grown to its cap.
const steadyAfter = deploy.DefaultPollFastFor + 30*time.Second

// steadyRate is the poll rate of the longest simulated rollouts once the
// poller has left its young phase.
func (r Report) steadyRate() (row, bool) {
	var parts []string
	ok := true
	for _, c := range r.SimCalls {
		if c.Elapsed < 5*time.Minute {
			continue
		}
		rate := c.Polls.CallsPerSecondAfter(steadyAfter)
		ok = ok && rate <= 1.05
		parts = append(parts, fmt.Sprintf("%d svc: %.2f/s", c.Services, rate))
	}
	if len(parts) == 0 {
		return row{}, false
	}
	return row{
		measure:  fmt.Sprintf("DescribeServices per second per cluster, steady state (10 min rollouts, from %s after the first poll, simulated time)", steadyAfter),
		target:   "≤ ~1/s",
		measured: strings.Join(parts, "; "),
		ok:       okIf(ok),
		others:   othersRate,
	}, true
}

// Markdown renders BENCHMARKS.md.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# omdeploy benchmarks\n\n")
	fmt.Fprintf(&b, "Generated by `%s` on %s at commit `%s`; it took %s. Do not edit: run `make bench` again.\n\n",
		r.Command, r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Commit, r.Took.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %s.\n\n", r.Machine)
	b.WriteString("## Targets of issue 16\n\n")
	fmt.Fprintf(&b, "Command: `%s`; machine as above; each ratio measured in this one run.\n\n", r.Command)
	b.WriteString(r.Targets())
	b.WriteString("\n## Summary\n\n")
	b.WriteString(r.Summary())
	b.WriteString("\nThe right-hand column quotes the other tools' documented poll intervals for context; " +
		"we did not run those tools. With a poll every 15 s, a finished deployment waits up to 15 s to be noticed.\n")
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "\nNot measured: %s\n", s)
	}

	b.WriteString("\n## 1. Detection latency\n\n")
	b.WriteString("From the simulator marking the followed deployment COMPLETED or FAILED (its `updatedAt`) to `deploy.Deploy` returning, " +
		"with the default poll policy. Each run deploys a new image to one simulated service of two tasks whose rollout length is drawn " +
		"at random from the range shown, so that runs do not line up with the poll interval. FAILED runs use the circuit breaker without " +
		"ECS's rollback and `NoRollback`, so the return follows the diagnosis, not a rollback.\n\n")
	b.WriteString("| Outcome | Clock | Rollout | Runs | Min | Median | p95 | Max |\n|---|---|---|---|---|---|---|---|\n")
	for _, l := range append(slices.Clone(r.Latency), r.LongLatency) {
		if l.N == 0 {
			continue
		}
		clock, span := "wall", fmt.Sprintf("%s–%s", secs(l.Rollout[0]), secs(l.Rollout[1]))
		if l.Rollout[0] >= time.Minute {
			clock, span = "simulated", fmt.Sprintf("%s–%s", mins(l.Rollout[0]), mins(l.Rollout[1]))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s | %s |\n", l.Outcome, clock, span, l.N, secs(l.Min), secs(l.Median), secs(l.P95), secs(l.Max))
	}

	if len(r.SDLatency) > 0 {
		b.WriteString("\nThe service-deployment engine, the same way: the engine follows the service deployment UpdateService started " +
			"(DescribeServiceDeployments, by ARN), and the latency runs from the simulator ending it (its `finishedAt`) to `deploy.Deploy` " +
			"returning. ROLLBACK_SUCCESSFUL runs use the circuit breaker with ECS's own rollback, so the service deployment ends when " +
			"the rollback completes; omdeploy does not roll back again.\n\n")
		b.WriteString("| Status | Clock | Rollout | Runs | Min | Median | p95 | Max |\n|---|---|---|---|---|---|---|---|\n")
		for _, l := range r.SDLatency {
			fmt.Fprintf(&b, "| %s | wall | %s–%s | %d | %s | %s | %s | %s |\n", l.Outcome, secs(l.Rollout[0]), secs(l.Rollout[1]), l.N,
				secs(l.Min), secs(l.Median), secs(l.P95), secs(l.Max))
		}
	}

	b.WriteString("\n## 2. API calls per deploy\n\n")
	b.WriteString("Counted by the simulator, on a fake clock with the default poll policy (a 10-minute rollout costs milliseconds). " +
		"*Poll calls/s* is the DescribeServices rate after the last UpdateService, while only the poller calls it: over the whole wait, " +
		"and at steady state, from " + steadyAfter.String() + " after the first poll.\n\n")
	b.WriteString("| Scenario | Services | Ended | Simulated time | Calls by action | Total | Poll calls/s | Steady poll calls/s |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.SimCalls {
		steady := "—"
		if rate := c.Polls.CallsPerSecondAfter(steadyAfter); rate > 0 {
			steady = fmt.Sprintf("%.2f", rate)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d | %.2f | %s |\n", c.Scenario, c.Services, c.State, secs(c.Elapsed), actions(c.Calls), c.Total(), c.Polls.CallsPerSecond(), steady)
	}
	if len(r.PollCosts) > 0 {
		b.WriteString("\nWhat one poll costs each engine: the same deploy of 10-minute rollouts (2 tasks each) to N services of one cluster, " +
			"on a fake clock with the default poll policy, followed once through `deployments[]` (DescribeServices, 10 services per call) " +
			"and once by service deployment (DescribeServiceDeployments, 20 per call). The service-deployment engine also reads each " +
			"service once (DescribeServices) when its deployment ends, for the service events; that read is no poll and is shown apart.\n\n")
		b.WriteString("| Services | deployments[]: polls, calls per poll (mean / max) | service deployments: polls, calls per poll (mean / max) | then DescribeServices |\n|---|---|---|---|\n")
		for _, c := range r.PollCosts {
			fmt.Fprintf(&b, "| %d | %d, %.2f / %d | %d, %.2f / %d | %d |\n", c.Services, c.Legacy.Polls, c.Legacy.CallsPerPoll(), c.Legacy.MaxCallsPerPoll,
				c.SD.Polls, c.SD.CallsPerPoll(), c.SD.MaxCallsPerPoll, c.SDDescribeServices)
		}
	}
	if m := r.MotoCalls; m != nil {
		b.WriteString("\nAgainst moto, with the real SDK clients pointed at a counting reverse proxy on 127.0.0.1 " +
			"(it counts each request's `X-Amz-Target` or `Action`). moto cannot run a timed rollout or a failing one " +
			"(a service with one task is COMPLETED at once; more tasks stay IN_PROGRESS forever), so only the first scenario runs there.\n\n")
		b.WriteString("| Scenario | Calls by action | Total | Wall |\n|---|---|---|---|\n")
		fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", m.Scenario, actions(m.Calls), total(m.Calls), ms(m.Wall))
	}
	if bin := r.Binary; bin != nil && bin.Deploy.Services > 0 {
		d := bin.Deploy
		fmt.Fprintf(&b, "\nThe built binary deploying %d moto services in %d clusters (preflight included), through the same proxy: %s; %d calls in all.\n",
			d.Services, d.Clusters, actions(d.Calls), total(d.Calls))
	}

	r.writeMotoRuns(&b)

	b.WriteString("\n## 3. Scale\n\n")
	b.WriteString("N services of one simulated cluster (and 200 spread over ten), each rolling out two tasks in three steps of the simulator's default 2.5 s, deployed in one `deploy.Deploy` with the " +
		"default options, on the wall clock. Wall time is the median of the repetitions (sizes interleaved); the poll columns describe " +
		"the DescribeServices calls after the last UpdateService in that run: all clusters' calls grouped into polls, and each cluster's on its own.\n\n")
	b.WriteString("| Services | Clusters | Wall (median) | × one service | Polls | DescribeServices per poll (mean / max) | Per cluster per poll (max) | Services per call (max) | Poll calls/s |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Scale {
		fmt.Fprintf(&b, "| %d | %d | %s | %.2f× | %d | %.1f / %d | %d | %d | %.2f |\n", s.Services, max(s.Clusters, 1), secs(s.Wall), s.Ratio, s.Polls.Polls,
			s.Polls.CallsPerPoll(), s.Polls.MaxCallsPerPoll, s.Polls.MaxCallsPerClusterPoll, s.Polls.MaxPerCall, s.Polls.CallsPerSecond())
	}

	b.WriteString("\n## 4. Health verification\n\n")
	if h := r.Health; h.N > 0 {
		fmt.Fprintf(&b, "%d health checks with the default options (`healthcheck.New(healthcheck.Options{})`), each against its own "+
			"HTTP server on 127.0.0.1 that answers 503 until a random instant within %s of the check's start and 200 after. "+
			"Measured from that instant to `Check` returning.\n\n", h.N, secs(h.FlipWithin))
		b.WriteString("| Runs | Min | Median | p95 | Max | Attempts (median) |\n|---|---|---|---|---|---|\n")
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %d |\n", h.N, secs(h.Min), secs(h.Median), secs(h.P95), secs(h.Max), h.MedianAttempts)
	}

	b.WriteString("\n## 5. The binary\n\n")
	if bin := r.Binary; bin != nil {
		fmt.Fprintf(&b, "The binary `make build` writes to bin/omdeploy (CGO off, `-trimpath`, `-tags urfave_cli_no_docs`, `-s -w`): %s.\n\n", mb(bin.Size))
		b.WriteString("Each run goes through `omdeploy-rusage` (tools/omdeploy-rusage), a small process that starts the binary, times it from " +
			"fork to exit and reads its peak RSS from `wait4`'s rusage; started by the driver itself, the binary's `ru_maxrss` would " +
			"include the driver's own memory.\n\n")
		fmt.Fprintf(&b, "- `omdeploy version`, %d runs: min %s, median %s, p95 %s, max %s; CPU time (user and system) median %s; peak RSS %s.\n",
			bin.Version.N, ms(bin.Version.Min), ms(bin.Version.Median), ms(bin.Version.P95), ms(bin.Version.Max), ms(bin.VersionCPU.Median), mb(bin.VersionRSS))
		if d := bin.Deploy; d.Services > 0 {
			fmt.Fprintf(&b, "- `omdeploy %s` (preflight included) against moto with %d services of one task each in %d clusters "+
				"(they complete at once; the real binary, no demo or bench path): peak RSS %s; wall %s; exit %d.\n",
				strings.Join(d.Args, " "), d.Services, d.Clusters, mb(d.RSS), secs(d.Wall), d.Exit)
		}
	}
	r.writeTuning(&b)
	return b.String()
}

// writeTuning compares the current defaults with the previous ones.
func (r Report) writeTuning(b *strings.Builder) {
	p := r.Previous
	if p.LongLatency.N == 0 && len(p.SimCalls) == 0 && p.Health.N == 0 {
		return
	}
	b.WriteString("\n## 6. Tuning: current and previous defaults, both measured in this run\n\n")
	fmt.Fprintf(b, "Previous defaults: polls grew to every %s after the first minute (`PollPolicy.Max`), and health retries backed off "+
		"to %s (`healthcheck.Options.MaxBackoff`). Now: polls grow to every %s, or to one `Interval` per DescribeServices call when "+
		"a poll needs more calls than that (a cluster costs about one call per second however many of its services are watched), "+
		"and health retries back off to %s. The previous `Parallel` also bounded services waiting for their rollouts, so 20 services "+
		"rolled out in five waves; it now bounds only the writes (plan, register, update), which options cannot restore, "+
		"so section 3 has no previous column.\n\n",
		PreviousPoll.Max, PreviousHealth.MaxBackoff, deploy.DefaultPollMax, healthcheck.DefaultMaxBackoff)
	b.WriteString("| Measure | Current defaults | Previous defaults |\n|---|---|---|\n")
	if l, o := r.LongLatency, p.LongLatency; l.N > 0 && o.N > 0 {
		fmt.Fprintf(b, "| Detection latency, %s–%s rollouts (simulated time) | median %s, p95 %s | median %s, p95 %s |\n",
			mins(l.Rollout[0]), mins(l.Rollout[1]), secs(l.Median), secs(l.P95), secs(o.Median), secs(o.P95))
	}
	for _, now := range r.SimCalls {
		for _, old := range p.SimCalls {
			if old.Scenario == now.Scenario && now.Elapsed >= 5*time.Minute {
				fmt.Fprintf(b, "| %s: calls, steady poll calls/s | %d, %.2f/s | %d, %.2f/s |\n",
					now.Scenario, now.Total(), now.Polls.CallsPerSecondAfter(steadyAfter), old.Total(), old.Polls.CallsPerSecondAfter(steadyAfter))
			}
		}
	}
	if h, o := r.Health, p.Health; h.N > 0 && o.N > 0 {
		fmt.Fprintf(b, "| Health: healthy → verified | median %s, p95 %s, max %s | median %s, p95 %s, max %s |\n",
			secs(h.Median), secs(h.P95), secs(h.Max), secs(o.Median), secs(o.P95), secs(o.Max))
	}
}

// actions lists calls by action, most first.
func actions(calls map[string]int) string {
	keys := slices.Collect(maps.Keys(calls))
	slices.SortFunc(keys, func(a, b string) int {
		if calls[a] != calls[b] {
			return calls[b] - calls[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, calls[k])
	}
	return strings.Join(parts, ", ")
}

func total(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mins(d time.Duration) string { return fmt.Sprintf("%g min", d.Minutes()) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB (%.1f MiB)", float64(n)/1e6, float64(n)/(1<<20)) }
