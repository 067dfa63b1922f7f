package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/event"
)

// textView renders events as text: plain lines, the lines above the live
// block, and failures at the end of a run.
type textView struct {
	pal     palette
	cat     catalogue
	verbose bool // show every health attempt
}

// eventText renders one event as text without a timestamp; continuation
// lines are indented relative to the first. It is "" for events not worth a
// line, such as health attempts unless verbose.
func (v textView) eventText(e event.Event) string {
	p := v.pal
	switch e := e.(type) {
	case event.StageStarted:
		return prefix(e.Service) + "stage " + p.bold(string(e.Stage))
	case event.CheckFinished:
		return v.checkText(e)
	case event.Planned:
		verb := "will register"
		if e.Reused {
			verb = "reuses"
		}
		if e.DryRun {
			verb = "dry run: " + verb
		}
		what := "a revision of " + e.CurrentTaskDef
		if e.NewTaskDef != "" {
			what = shortARN(e.NewTaskDef) + " (running " + shortARN(e.CurrentTaskDef) + ")"
		}
		line := fmt.Sprintf("%s%s %s: container %s image %s -> %s",
			prefix(e.Service), verb, what, e.Container, e.OldImage, e.NewImage)
		if e.DryRun { // a deploy's line says what it changes; a plan's says how
			line += v.diffText(e.Changes)
		}
		return line
	case event.TaskDefinitionRegistered:
		return prefix(e.Service) + "registered " + e.ARN
	case event.DeploymentStarted:
		what := "deployment"
		if e.Rollback {
			what = "rollback deployment"
		}
		return fmt.Sprintf("%s%s %s started (%s)", prefix(e.Service), what, e.DeploymentID, e.TaskDefinition)
	case event.DeploymentProgress:
		s := fmt.Sprintf("%s%s %s desired=%d running=%d pending=%d failed=%d",
			prefix(e.Service), e.DeploymentID, orDash(e.RolloutState), e.Desired, e.Running, e.Pending, e.Failed)
		if e.RolloutReason != "" {
			s += ": " + e.RolloutReason
		}
		return s
	case event.ServiceDeploymentProgress:
		return prefix(e.Service) + "service deployment " + lastPart(e.ARN) + " " + sdProgressText(e)
	case event.LifecycleHookReleased:
		return fmt.Sprintf("%sservice deployment %s: lifecycle hook %s released with %s: %s", prefix(e.Service), lastPart(e.ARN), e.HookID, e.Action, e.Reason)
	case event.TargetHealth:
		return prefix(e.Service) + "targets " + e.Targets.Name + ": " + e.Targets.Text()
	case event.ServiceEvent:
		return prefix(e.Service) + "event: " + e.Message
	case event.Diagnosis:
		return prefix(e.Service) + v.diagnosisText(e)
	case event.RollbackStarted:
		line := fmt.Sprintf("%s%s %s -> %s", prefix(e.Service), p.yellow("rolling back"), e.From, e.To)
		if e.Undoes != "" {
			line += " (undoing service deployment " + e.Undoes + ", back to its source revision)"
		}
		return line
	case event.HealthAttempt:
		if !v.verbose {
			return ""
		}
		status := fmt.Sprint(e.StatusCode)
		if e.Err != "" {
			status = e.Err
		}
		return fmt.Sprintf("%sGET %s attempt %d: %s (%s, request id %s)",
			prefix(e.Service), e.URL, e.Attempt, status, e.Duration.Round(1e6), e.RequestID)
	case event.HealthResult:
		if e.OK {
			return fmt.Sprintf("%s%s %s (%d, %s, %s)", prefix(e.Service), p.green("healthy"), e.URL, e.StatusCode, plural(e.Attempts, "attempt"), roundDuration(e.Elapsed))
		}
		return fmt.Sprintf("%s%s %s after %s: %s", prefix(e.Service), p.red("unhealthy"), e.URL, plural(e.Attempts, "attempt"), e.Err)
	case event.Failure:
		return prefix(e.Service) + v.failureText(e)
	case event.Warning:
		return prefix(e.Service) + p.yellow("warning:") + " " + e.Message
	case event.TaskStarted:
		return v.taskStartedText(e)
	case event.TaskLog:
		return v.taskLogText(e)
	case event.TaskFinished:
		return v.taskFinishedText(e)
	case event.ServiceFinished:
		if e.OK {
			return prefix(e.Service) + p.green("done")
		}
		return prefix(e.Service) + p.red("failed") + " at stage " + string(e.Stage)
	}
	return ""
}

func (v textView) checkText(e event.CheckFinished) string {
	p := v.pal
	s := fmt.Sprintf("%s%s %-18s %s", prefix(e.Service), p.status(e.Status, fmt.Sprintf("%-4s", e.Status)), e.ID, e.Message)
	if e.Status != event.StatusFail && e.Status != event.StatusWarn {
		return s
	}
	if fix := v.cat.fix(e.RunbookID, e.Fix); fix != "" {
		s += "\n     fix: " + indent(fix, "          ")
	}
	if e.RunbookID != "" {
		s += "\n     see: omdeploy runbook " + e.RunbookID
	}
	return s
}

// failureText is what happened, the likely cause and the fix, from the
// runbook entry so it reads the same as `omdeploy runbook`.
func (v textView) failureText(e event.Failure) string {
	var b strings.Builder
	b.WriteString(v.pal.red("FAILED"))
	if e.Stage != "" {
		fmt.Fprintf(&b, " (%s)", e.Stage)
	}
	b.WriteString(": " + e.Message)
	if entry, ok := v.cat.entry(e.RunbookID); ok {
		fmt.Fprintf(&b, "\n  cause: %s", indent(entry.Diagnosis, "         "))
	}
	if fix := v.cat.fix(e.RunbookID, e.Fix); fix != "" {
		fmt.Fprintf(&b, "\n  fix:   %s", indent(fix, "         "))
	}
	if e.RunbookID != "" {
		fmt.Fprintf(&b, "\n  see:   omdeploy runbook %s", e.RunbookID)
	}
	return b.String()
}

// diagnosisText shows the stopped tasks, folding tasks that stopped the same
// way (same reason, exit codes and log lines) into one entry, and explaining
// each runbook entry once, so a crash loop of ten tasks still fits one
// screen.
func (v textView) diagnosisText(d event.Diagnosis) string {
	var b strings.Builder
	b.WriteString(v.pal.bold("diagnosis:") + " " + d.Summary)
	explained := map[string]bool{}
	for _, g := range groupTasks(d.Tasks) {
		t := g[0]
		ids := make([]string, len(g))
		for i, gt := range g {
			ids[i] = gt.TaskID
		}
		label := "task " + ids[0]
		if len(g) > 1 {
			label = fmt.Sprintf("%d tasks (%s)", len(g), strings.Join(ids, ", "))
		}
		fmt.Fprintf(&b, "\n  %s stopped: %s", label, t.StoppedReason)
		if t.StopCode != "" {
			fmt.Fprintf(&b, " (%s)", t.StopCode)
		}
		if t.TargetHealth != "" {
			fmt.Fprintf(&b, "\n    load balancer: %s", t.TargetHealth)
		}
		for _, c := range t.Containers {
			code := "none"
			if c.ExitCode != nil {
				code = fmt.Sprint(*c.ExitCode)
			}
			fmt.Fprintf(&b, "\n    container %s exit code %s", c.Name, code)
			if c.Reason != "" {
				fmt.Fprintf(&b, ": %s", c.Reason)
			}
			if c.LogError != "" {
				fmt.Fprintf(&b, "\n      logs: %s", c.LogError)
			}
			if len(c.LogLines) > 0 {
				fmt.Fprintf(&b, "\n      last %d log lines (%s):", len(c.LogLines), c.LogGroup)
				for _, l := range c.LogLines {
					b.WriteString("\n      | " + l)
				}
			}
		}
		entry, ok := v.cat.entry(t.RunbookID)
		switch {
		case !ok:
		case explained[t.RunbookID]:
			fmt.Fprintf(&b, "\n    likely: %s (as above)", entry.Title)
		default:
			explained[t.RunbookID] = true
			fmt.Fprintf(&b, "\n    cause: %s", indent(entry.Diagnosis, "           "))
			fmt.Fprintf(&b, "\n    fix:   %s", indent(entry.Fix, "           "))
			fmt.Fprintf(&b, "\n    see:   omdeploy runbook %s", t.RunbookID)
		}
	}
	return b.String()
}

// groupTasks folds tasks that stopped identically, keeping first-seen order.
func groupTasks(tasks []event.StoppedTask) [][]event.StoppedTask {
	var groups [][]event.StoppedTask
	index := map[string]int{}
	for _, t := range tasks {
		key := fmt.Sprintf("%s|%s|%s|%s|", t.StoppedReason, t.StopCode, t.RunbookID, t.TargetHealth)
		for _, c := range t.Containers {
			code := "none"
			if c.ExitCode != nil {
				code = fmt.Sprint(*c.ExitCode)
			}
			key += fmt.Sprintf("%s:%s:%s:%s:%q;", c.Name, code, c.Reason, c.LogError, c.LogLines)
		}
		if i, ok := index[key]; ok {
			groups[i] = append(groups[i], t)
			continue
		}
		index[key] = len(groups)
		groups = append(groups, []event.StoppedTask{t})
	}
	return groups
}

// plural is "1 attempt" or "2 attempts".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func prefix(service string) string {
	if service == "" {
		return ""
	}
	return "[" + service + "] "
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func indent(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }
