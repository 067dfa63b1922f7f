package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/internal/result"

	"github.com/omdeploy/omdeploy/internal/event"
)

// stepSummary is the markdown a run appends to $GITHUB_STEP_SUMMARY: the
// verdict, the services with their task definitions, deployments and
// health, the preflight checks, and each failure with its cause and fix.
func stepSummary(doc result.Document, failures []event.Failure, cat catalogue) string {
	var b strings.Builder
	if doc.OK {
		fmt.Fprintf(&b, "### ✅ omdeploy %s succeeded in %s\n\n", doc.Command, roundDuration(doc.Duration))
	} else {
		fmt.Fprintf(&b, "### ❌ omdeploy %s failed at stage %s (exit code %d) after %s\n\n", doc.Command, doc.Stage, doc.ExitCode, roundDuration(doc.Duration))
	}
	summaryServices(&b, doc)
	summaryImages(&b, doc)
	summaryDiff(&b, doc)
	summaryHealth(&b, doc)
	summaryTargets(&b, doc)
	summaryChecks(&b, doc, cat)
	summaryFailures(&b, failures, cat)
	summaryDiagnoses(&b, doc)
	return b.String()
}

func summaryServices(b *strings.Builder, doc result.Document) {
	if len(doc.Services) == 0 {
		return
	}
	b.WriteString("| Service | Result | Task definition | Deployment | Rollout | Health |\n|---|---|---|---|---|---|\n")
	for _, s := range doc.Services {
		result := "✅ " + string(s.Stage)
		if s.Error != "" {
			result = "❌ " + string(s.Stage)
		}
		if s.RolledBack {
			result += ", rolled back"
		}
		taskDef := code(shortARN(s.TaskDefinition))
		if s.PreviousTaskDefinition != "" && s.PreviousTaskDefinition != s.TaskDefinition {
			taskDef += " (was " + code(shortARN(s.PreviousTaskDefinition)) + ")"
		}
		healthy := 0
		for _, h := range s.Health {
			if h.OK {
				healthy++
			}
		}
		health := ""
		if len(s.Health) > 0 {
			health = fmt.Sprintf("%d/%d healthy", healthy, len(s.Health))
		}
		deployment, rollout := code(s.DeploymentID), s.RolloutState
		if s.ServiceDeploymentARN != "" { // the service deployment says more: strategy, stage, alarms
			deployment = code(lastPart(s.ServiceDeploymentARN))
			rollout = sdSummary(s)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(s.Name), cell(result), taskDef, deployment, cell(rollout), health)
	}
	b.WriteString("\n")
}

// summaryImages is the table of each deployed container's planned digest
// against the one its running tasks report.
func summaryImages(b *strings.Builder, doc result.Document) {
	var rows []string
	for _, s := range doc.Services {
		for _, img := range s.Images {
			mark := "✅"
			switch {
			case !img.Match && img.PlannedDigest != "" && img.RunningDigest != "":
				mark = "⚠️ mismatch"
			case !img.Match:
				mark = "not compared"
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", cell(s.Name), cell(img.Container), code(img.Reference),
				code(shortDigest(img.PlannedDigest)), code(shortDigest(img.RunningDigest)), mark))
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("| Service | Container | Image | Planned digest | Running digest | |\n|---|---|---|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}

func summaryHealth(b *strings.Builder, doc result.Document) {
	var rows []string
	for _, s := range doc.Services {
		// Gated blue/green: the test listener's verdicts come first, as
		// they were checked before production traffic moved.
		for _, part := range []struct {
			name    string
			results []result.Health
		}{{s.Name + " (test listener)", s.TestTrafficHealth}, {s.Name, s.Health}} {
			for _, h := range part.results {
				result := "✅ ok"
				if !h.OK {
					result = "❌ " + h.Error
				}
				status := ""
				if h.StatusCode != 0 {
					status = fmt.Sprint(h.StatusCode)
				}
				rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %d | %s |",
					cell(part.name), code(h.URL), cell(result), status, h.Attempts, roundDuration(h.Elapsed)))
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("#### Health\n\n| Service | URL | Result | Status | Attempts | Time |\n|---|---|---|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}

func summaryChecks(b *strings.Builder, doc result.Document, cat catalogue) {
	if len(doc.Checks) == 0 {
		return
	}
	counts := map[string]int{}
	for _, c := range doc.Checks {
		counts[c.Status]++
	}
	open := ""
	if counts[event.StatusFail]+counts[event.StatusWarn] > 0 {
		open = " open"
	}
	fmt.Fprintf(b, "<details%s><summary>Preflight: %d passed, %d failed, %d warnings, %d skipped</summary>\n\n",
		open, counts[event.StatusPass], counts[event.StatusFail], counts[event.StatusWarn], counts[event.StatusSkip])
	b.WriteString("| Check | Service | Status | Message |\n|---|---|---|---|\n")
	marks := map[string]string{event.StatusPass: "✅", event.StatusFail: "❌", event.StatusWarn: "⚠️", event.StatusSkip: "⏭️"}
	for _, c := range doc.Checks {
		msg := c.Message
		if fix := cat.fix(c.RunbookID, c.Fix); fix != "" && c.Status != event.StatusPass && c.Status != event.StatusSkip {
			msg += "\nFix: " + fix
		}
		fmt.Fprintf(b, "| %s | %s | %s %s | %s |\n", code(c.ID), cell(c.Service), marks[c.Status], c.Status, cell(msg))
	}
	b.WriteString("\n</details>\n\n")
}

func summaryFailures(b *strings.Builder, failures []event.Failure, cat catalogue) {
	if len(failures) == 0 {
		return
	}
	b.WriteString("#### Failures\n\n")
	for _, f := range failures {
		fmt.Fprintf(b, "**%s**\n\n", failedTitle(f, cat))
		b.WriteString(fenced(f.Message))
		if entry, ok := cat.entry(f.RunbookID); ok {
			fmt.Fprintf(b, "**Likely cause.** %s\n\n", entry.Diagnosis)
		}
		if fix := cat.fix(f.RunbookID, f.Fix); fix != "" {
			fmt.Fprintf(b, "**Fix.**\n\n%s\n\n", fix)
		}
		if f.RunbookID != "" {
			fmt.Fprintf(b, "See `omdeploy runbook %s`.\n\n", f.RunbookID)
		}
	}
}

// summaryDiagnoses shows, per failed service, why its new tasks stopped:
// each task's reason and stop code, each container's exit code, and the
// last log lines, folded, since they can be long.
func summaryDiagnoses(b *strings.Builder, doc result.Document) {
	for _, s := range doc.Services {
		d := s.Diagnosis
		if d == nil || len(d.Tasks) == 0 {
			continue
		}
		fmt.Fprintf(b, "<details><summary>%s: %s</summary>\n\n", cell(s.Name), cell(d.Summary))
		for _, t := range d.Tasks {
			fmt.Fprintf(b, "- task %s stopped: %s", code(t.TaskID), cell(t.StoppedReason))
			if t.StopCode != "" {
				fmt.Fprintf(b, " (%s)", code(t.StopCode))
			}
			if t.TargetHealth != "" {
				fmt.Fprintf(b, "; load balancer: %s", cell(t.TargetHealth))
			}
			b.WriteString("\n")
			for _, c := range t.Containers {
				exit := "never ran"
				if c.ExitCode != nil {
					exit = fmt.Sprintf("exit code %d", *c.ExitCode)
				}
				fmt.Fprintf(b, "  - container %s: %s", code(c.Name), exit)
				if c.Reason != "" {
					fmt.Fprintf(b, ", %s", cell(c.Reason))
				}
				b.WriteString("\n")
				switch {
				case len(c.LogLines) > 0:
					fmt.Fprintf(b, "\n  Last %d log lines (%s):\n\n", len(c.LogLines), code(c.LogGroup))
					b.WriteString(fenced(strings.Join(c.LogLines, "\n")))
				case c.LogError != "":
					fmt.Fprintf(b, "  (log lines not read: %s)\n", cell(c.LogError))
				}
			}
		}
		b.WriteString("</details>\n\n")
	}
}

// fenced shows text verbatim in a code block whose fence the text cannot
// close early.
func fenced(text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + "\n" + text + "\n" + fence + "\n\n"
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// code shows s as inline code, or as an escaped cell when it contains a
// backtick; empty stays empty.
func code(s string) string {
	if s == "" {
		return ""
	}
	if strings.Contains(s, "`") {
		return cell(s)
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// shortARN is the readable tail of an ARN: family:revision for a task
// definition.
func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 && strings.HasPrefix(arn, "arn:") {
		return arn[i+1:]
	}
	return arn
}

// roundDuration keeps two or three significant digits, which is all a
// person reads of a duration.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// summaryTargets shows the load balancer's view of each service's new
// tasks, as last seen while the rollout was in progress.
func summaryTargets(b *strings.Builder, doc result.Document) {
	var rows []string
	for _, s := range doc.Services {
		for _, t := range s.Targets {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |", cell(s.Name), code(t.Name), cell(t.Text())))
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("#### Load balancer targets\n\n| Service | Target group | New tasks' targets |\n|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}
