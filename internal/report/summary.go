package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/result"

	"github.com/omdeploy/omdeploy/internal/event"
)

// Summary is the text result a command prints on stdout when it ends: a
// few lines a person can paste into a ticket. Causes and fixes were shown
// with the failures on stderr.
func Summary(d result.Document) string {
	var b strings.Builder
	if len(d.Checks) > 0 {
		counts := map[string]int{}
		var failed []string
		for _, c := range d.Checks {
			counts[c.Status]++
			if c.Status == event.StatusFail {
				failed = append(failed, c.ID)
			}
		}
		fmt.Fprintf(&b, "preflight: %d passed, %d failed, %d warnings, %d skipped",
			counts[event.StatusPass], counts[event.StatusFail], counts[event.StatusWarn], counts[event.StatusSkip])
		if len(failed) > 0 {
			fmt.Fprintf(&b, " (failed: %s)", strings.Join(failed, ", "))
		}
		b.WriteString("\n")
	}
	for _, s := range d.Services {
		state := "ok"
		if s.Error != "" {
			state = "FAILED at " + string(s.Stage)
		}
		fmt.Fprintf(&b, "%s (%s/%s): %s\n", s.Name, s.Cluster, s.Service, state)
		if s.TaskDefinition != "" {
			fmt.Fprintf(&b, "  task definition: %s", s.TaskDefinition)
			if s.PreviousTaskDefinition != "" && s.PreviousTaskDefinition != s.TaskDefinition {
				fmt.Fprintf(&b, " (was %s)", shortARN(s.PreviousTaskDefinition))
			}
			b.WriteString("\n")
		}
		if s.DeploymentID != "" {
			fmt.Fprintf(&b, "  deployment: %s %s\n", s.DeploymentID, s.RolloutState)
		}
		if s.RolledBack {
			b.WriteString("  rolled back to the previous task definition\n")
		}
		for _, h := range s.Health {
			mark := "ok"
			if !h.OK {
				mark = "FAIL " + h.Error
			}
			fmt.Fprintf(&b, "  health %s: %s (%s)\n", h.URL, mark, plural(h.Attempts, "attempt"))
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "  error: %s\n", s.Error)
		}
	}
	if d.OK {
		fmt.Fprintf(&b, "%s: ok (%s)\n", d.Command, roundDuration(d.Duration))
	} else {
		fmt.Fprintf(&b, "%s: failed at stage %s, exit code %d: %s\n", d.Command, d.Stage, d.ExitCode, d.Error)
	}
	return b.String()
}
