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
		if d.DryRun && s.Plan != nil {
			planText(&b, s.Plan)
		}
		if s.DeploymentID != "" {
			fmt.Fprintf(&b, "  deployment: %s %s\n", s.DeploymentID, s.RolloutState)
		}
		if s.RolledBack {
			b.WriteString("  rolled back to the previous task definition\n")
		}
		for _, img := range s.Images {
			fmt.Fprintf(&b, "  image %s: %s: %s\n", img.Container, img.Reference, digestVerdict(img))
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
	if d.OK && d.DryRun {
		what := d.Command + " --dry-run"
		if d.Command == "plan" { // a dry run by definition
			what = d.Command
		}
		fmt.Fprintf(&b, "%s: ok, nothing was changed (%s)\n", what, roundDuration(d.Duration))
	} else if d.OK {
		fmt.Fprintf(&b, "%s: ok (%s)\n", d.Command, roundDuration(d.Duration))
	} else {
		fmt.Fprintf(&b, "%s: failed at stage %s, exit code %d: %s\n", d.Command, d.Stage, d.ExitCode, d.Error)
	}
	return b.String()
}

// planText writes what a dry run would do: each container's image, old to
// new, and the revision that would be registered or reused.
func planText(b *strings.Builder, p *result.Plan) {
	for _, c := range p.Containers {
		if c.PreviousImage == c.Image {
			fmt.Fprintf(b, "  image %s: %s (unchanged)\n", c.Name, c.Image)
		} else {
			fmt.Fprintf(b, "  image %s: %s → %s\n", c.Name, c.PreviousImage, c.Image)
		}
	}
	if p.Reused {
		rev := shortARN(p.CurrentTaskDefinition)
		if _, n, ok := strings.Cut(rev, ":"); ok {
			rev = n
		}
		fmt.Fprintf(b, "  unchanged: reuses revision %s (%s)\n", rev, shortARN(p.CurrentTaskDefinition))
		return
	}
	fmt.Fprintf(b, "  would register: %s (current %s)\n", p.TaskDefinition, shortARN(p.CurrentTaskDefinition))
	// Uncoloured: the summary is the text a person pastes; the progress
	// line on stderr shows the same diff in colour on a terminal.
	b.WriteString(strings.TrimPrefix(strings.ReplaceAll(textView{}.diffText(p.Changes), "\n    ", "\n  "), "\n"))
	if len(p.Changes) > 0 {
		b.WriteString("\n")
	}
}

// digestVerdict says how a container's running digest compares with the
// planned one, in words a person reads in the summary.
func digestVerdict(img result.RunningImage) string {
	switch {
	case img.Match:
		return "running " + shortDigest(img.RunningDigest) + " as planned"
	case img.RunningDigest == "":
		return "running digest not reported; planned " + orUnknown(shortDigest(img.PlannedDigest))
	case img.PlannedDigest == "":
		return "running " + shortDigest(img.RunningDigest) + "; planned digest unknown (not resolved by preflight)"
	}
	return "MISMATCH: running " + shortDigest(img.RunningDigest) + ", planned " + shortDigest(img.PlannedDigest) + " (the tag moved; pin_digest prevents it)"
}

// shortDigest shortens each of a comma-separated list of digests to
// sha256: and twelve hex digits, as docker does.
func shortDigest(ds string) string {
	parts := strings.Split(ds, ",")
	for i, d := range parts {
		if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
			parts[i] = alg + ":" + hex[:12]
		}
	}
	return strings.Join(parts, ",")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
