package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

const flagMarkdown = "markdown"

// runbookWidth caps the text width, for reading on a wide terminal.
const runbookWidth = 100

func runbookCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:      "runbook",
		Usage:     "explain every failure omdeploy detects: symptom, likely cause, fix",
		ArgsUsage: "[ID or AREA ...]",
		Description: `Prints the catalogue omdeploy draws every printed cause and fix from. A failure names its
entry ("see: omdeploy runbook rollout.circuit-breaker"); an area (the part before the dot)
prints all its entries. docs/RUNBOOK.md is this command's --markdown output (make docs).

EXAMPLES:
   omdeploy runbook                              # every entry
   omdeploy runbook rollout.circuit-breaker      # one entry
   omdeploy runbook health                       # every health entry
   omdeploy runbook --markdown > docs/RUNBOOK.md
   omdeploy runbook --output json | jq -r '.runbook[].id'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flagMarkdown, Usage: "print markdown, as in docs/RUNBOOK.md"},
		},
		Action: action(d, false, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			entries, err := selectEntries(runbook.All(), c.Args().Slice())
			if err != nil {
				return env.fail(failure.New(failure.StageConfig, "", "", err))
			}
			switch {
			case str(c, flagOutput) == report.OutputJSON:
				doc := env.document(nil)
				doc.Runbook = report.RunbookEntries(entries)
				return env.finish(doc, nil)
			case c.Bool(flagMarkdown):
				_, err = io.WriteString(c.App.Writer, report.RunbookMarkdown(entries))
			default:
				_, err = io.WriteString(c.App.Writer, report.RunbookText(entries, min(env.deps.io.OutWidth(), runbookWidth)))
			}
			return err
		}),
	}, []string{flagOutput})
}

// selectEntries keeps the entries named by args, each an ID or an area, in
// catalogue order; all of them when args is empty.
func selectEntries(all []runbook.Entry, args []string) ([]runbook.Entry, error) {
	if len(args) == 0 {
		return all, nil
	}
	var out []runbook.Entry
	for _, arg := range args {
		n := len(out)
		for _, e := range all {
			area, _, _ := strings.Cut(e.ID, ".")
			if (e.ID == arg || area == arg) && !slices.ContainsFunc(out, func(o runbook.Entry) bool { return o.ID == e.ID }) {
				out = append(out, e)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("no runbook entry or area %q; areas: %s (run `omdeploy runbook` to list every entry)", arg, strings.Join(areas(all), ", "))
		}
	}
	return out, nil
}

func areas(all []runbook.Entry) []string {
	var out []string
	for _, e := range all {
		if a, _, _ := strings.Cut(e.ID, "."); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
