package bench

import (
	"fmt"
	"strings"
)

// preflightTarget is the most a full deploy may cost over the same deploy
// with --skip-preflight on moto.
const preflightTarget = 2.0

// motoRows are the summary's rows of the moto comparison: preflight's cost
// and the aws CLI baseline.
func (r Report) motoRows() []row {
	if len(r.MotoRuns) == 0 {
		return nil
	}
	var pre, cli []string
	ok := true
	for _, m := range r.MotoRuns {
		ok = ok && m.Full.N > 0 && m.PreflightRatio() <= preflightTarget
		pre = append(pre, fmt.Sprintf("%d svc: %.2f× (%s vs %s)", m.Services, m.PreflightRatio(), secs(m.Full.Median), secs(m.Skip.Median)))
		if m.CLI.N > 0 {
			cli = append(cli, fmt.Sprintf("%d svc: %.1f× (%s vs %s)", m.Services, m.CLIRatio(), secs(m.CLI.Median), secs(m.Full.Median)))
		}
	}
	rows := []row{{
		measure:  fmt.Sprintf("Full deploy vs `--skip-preflight`, binary on moto (medians of %d interleaved runs)", r.MotoRuns[0].Full.N),
		target:   fmt.Sprintf("≤ %g×", preflightTarget),
		measured: strings.Join(pre, "; "),
		ok:       okIf(ok),
	}}
	if len(cli) > 0 {
		rows = append(rows, row{
			measure:  fmt.Sprintf("aws CLI (`update-service --force-new-deployment`, `wait services-stable`) vs omdeploy's full deploy, same moto (medians, %d CLI runs)", r.MotoRuns[0].CLI.N),
			target:   "(baseline, reported)",
			measured: strings.Join(cli, "; "),
		})
	}
	return rows
}

// writeMotoRuns is the moto comparison's section.
func (r Report) writeMotoRuns(b *strings.Builder) {
	if len(r.MotoRuns) == 0 {
		return
	}
	b.WriteString("\n### Full deploy, `--skip-preflight` and the aws CLI on moto\n\n")
	b.WriteString("The built binary deploying a new image (`omdeploy deploy --image … --output json`) to N services of one moto cluster, " +
		"with and without `--skip-preflight`, and the aws CLI doing what a script would (`aws ecs update-service --force-new-deployment` " +
		"per service, then `aws ecs wait services-stable` per ten services), all through the counting proxy, interleaved run by run. " +
		"Wall times are medians; calls are those of the last run of each.\n\n")
	b.WriteString("| Services | Full deploy | `--skip-preflight` | Full ÷ skip | aws CLI | CLI ÷ full | Calls, full deploy | Calls, `--skip-preflight` | Calls, aws CLI |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range r.MotoRuns {
		cli, cliRatio := "—", "—"
		if m.CLI.N > 0 {
			cli, cliRatio = fmt.Sprintf("%s (%d runs)", secs(m.CLI.Median), m.CLI.N), fmt.Sprintf("%.1f×", m.CLIRatio())
		}
		fmt.Fprintf(b, "| %d | %s (%d runs) | %s | %.2f× | %s | %s | %s (%d) | %s (%d) | %s (%d) |\n", m.Services,
			secs(m.Full.Median), m.Full.N, secs(m.Skip.Median), m.PreflightRatio(), cli, cliRatio,
			actions(m.FullCalls), total(m.FullCalls), actions(m.SkipCalls), total(m.SkipCalls), actions(m.CLICalls), total(m.CLICalls))
	}
}
