package bench

import (
	"fmt"
	"strings"
)

// The calls a full deploy may add over --skip-preflight: the reads several
// stages need are made once per run, so preflight adds only its own
// (identity, clusters, one IAM simulation per cluster, log groups).
var sharedReads = []string{"ecs:DescribeTaskDefinition", "ecs:DescribeServices"}

// Targets renders the table of issue 16's targets: one row per target,
// what this run measured, and whether it holds.
func (r Report) Targets() string {
	var b strings.Builder
	b.WriteString("| Target | Measured | Holds |\n|---|---|---|\n")
	for _, x := range r.targetRows() {
		holds := "not measured"
		if x.ok != nil {
			holds = map[bool]string{true: "yes", false: "**NO**"}[*x.ok]
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", x.target, x.measured, holds)
	}
	return b.String()
}

func (r Report) targetRows() []row {
	var rows []row
	add := func(target, measured string, ok *bool) {
		rows = append(rows, row{target: target, measured: measured, ok: ok})
	}
	if len(r.MotoRuns) > 0 {
		pre := r.motoRows()[0]
		add(fmt.Sprintf("A full deploy costs at most %g× the same deploy with `--skip-preflight` (binary on moto, medians of interleaved runs)", preflightTarget), pre.measured, pre.ok)
		var parts []string
		ok := true
		for _, m := range r.MotoRuns {
			extra, fine := sharedOnce(m)
			ok = ok && fine
			parts = append(parts, fmt.Sprintf("%d svc: %s", m.Services, extra))
		}
		add("Every AWS read several stages need (service, task definition, cluster, identity) is made once per run: the full deploy's calls of each shared read, over `--skip-preflight`'s (polls vary by one poll)",
			strings.Join(parts, "; "), okIf(ok))
	} else {
		add(fmt.Sprintf("A full deploy costs at most %g× `--skip-preflight`; shared reads made once", preflightTarget), "no moto", nil)
	}
	for _, s := range r.Scale {
		if s.Clusters > 1 {
			add(fmt.Sprintf("%s in one run: wall time at most %g× one service (simulator, wall clock)", s.label(), scaleWallTarget),
				fmt.Sprintf("%.2f× (%s vs %s)", s.Ratio, secs(s.Wall), secs(r.Scale[0].Wall)), okIf(s.Ratio <= scaleWallTarget))
			add(fmt.Sprintf("%s: DescribeServices at most ceil(n/10) calls per cluster per poll (here %d)", s.label(), s.callLimit()),
				fmt.Sprintf("at most %d in any cluster's poll (%d polls)", s.Polls.MaxCallsPerClusterPoll, s.Polls.Polls),
				okIf(s.Polls.Polls > 0 && s.Polls.MaxCallsPerClusterPoll <= s.callLimit()))
		}
	}
	if b := r.Binary; b != nil {
		if d := b.Deploy; d.Services > 0 {
			add(fmt.Sprintf("Peak RSS at most %g MB (the binary deploying %d services in %d clusters on moto)", rssTargetMB, d.Services, d.Clusters),
				fmt.Sprintf("%s; wall %s", mb(d.RSS), secs(d.Wall)), okIf(d.RSS > 0 && d.RSS <= rssTargetMB*1e6))
		}
		add(fmt.Sprintf("Start-up (`omdeploy version`) at most %s median", ms(startupTarget)),
			fmt.Sprintf("median %s of %d (p95 %s); CPU time median %s", ms(b.Version.Median), b.Version.N, ms(b.Version.P95), ms(b.VersionCPU.Median)),
			okIf(b.Version.Median <= startupTarget))
		add(fmt.Sprintf("The binary at most %g MB", binaryTargetMB), mb(b.Size), okIf(b.Size <= binaryTargetMB*1e6))
	}
	var cli []string
	for _, m := range r.MotoRuns {
		if m.CLI.N > 0 {
			cli = append(cli, fmt.Sprintf("%d svc: %s vs omdeploy's %s, %.1f×", m.Services, secs(m.CLI.Median), secs(m.Full.Median), m.CLIRatio()))
		}
	}
	if len(cli) > 0 {
		add("The aws CLI (`update-service --force-new-deployment`, then `wait services-stable`) on the same moto: its ratio to omdeploy's full deploy reported",
			strings.Join(cli, "; "), okIf(true))
	} else {
		add("The aws CLI baseline on the same moto, its ratio reported", "skipped (see below)", nil)
	}
	return rows
}

// sharedOnce compares the full deploy's shared reads with the skipped
// one's: equal, or for DescribeServices at most one poll more (one call
// per ten services), and identity, clusters and the IAM simulation once.
func sharedOnce(m MotoRuns) (string, bool) {
	var parts []string
	ok := true
	for _, a := range sharedReads {
		full, skip := m.FullCalls[a], m.SkipCalls[a]
		slack := 0
		if a == "ecs:DescribeServices" {
			slack = (m.Services + 9) / 10
		}
		ok = ok && full <= skip+slack
		parts = append(parts, fmt.Sprintf("%s %d vs %d", strings.TrimPrefix(a, "ecs:"), full, skip))
	}
	for _, a := range []string{"ecs:DescribeClusters", "sts:GetCallerIdentity", "iam:SimulatePrincipalPolicy"} {
		ok = ok && m.FullCalls[a] <= 1
		parts = append(parts, fmt.Sprintf("%s %d", a[strings.Index(a, ":")+1:], m.FullCalls[a]))
	}
	return strings.Join(parts, ", "), ok
}
