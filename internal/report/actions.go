package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/event"
)

// actionsLog adds GitHub Actions workflow commands to the plain lines: a
// collapsible group per stage, an error annotation per failure and a
// warning annotation per warning. The runner reads them on stderr as well
// as stdout, so stdout stays free for the JSON document.
//
// Groups cannot nest, and services run concurrently, so a group holds
// whatever is reported until the next stage starts. A failure closes the
// open group so that it is never folded away.
type actionsLog struct {
	cat  catalogue
	open bool // a ::group:: is open
	// diagnosed holds each service's last diagnosis, so that its failure's
	// annotation can say in one line why the tasks stopped: the annotation
	// is what a person sees first, and "read the log lines above" is not
	// an answer there.
	diagnosed map[string]event.Diagnosis
}

// before writes what goes ahead of e's line; a nil receiver writes nothing.
func (a *actionsLog) before(b *strings.Builder, e event.Event) {
	if a == nil {
		return
	}
	switch e := e.(type) {
	case event.StageStarted:
		a.end(b)
		fmt.Fprintf(b, "::group::%s\n", escapeData(prefix(e.Service)+string(e.Stage)))
		a.open = true
	case event.Failure:
		a.end(b)
	case event.TargetHealth:
		// It goes into the open group.
	case event.CheckFinished, event.Planned, event.TaskDefinitionRegistered, event.DeploymentStarted, event.DeploymentProgress, event.ServiceDeploymentProgress, event.LifecycleHookReleased,
		event.ServiceEvent, event.Diagnosis, event.RollbackStarted, event.HealthAttempt, event.HealthResult, event.Warning,
		event.ServiceFinished, event.TaskStarted, event.TaskLog, event.TaskFinished:
		// They go into the open group.
	}
}

// after writes the annotation for e, if it calls for one.
func (a *actionsLog) after(b *strings.Builder, e event.Event) {
	if a == nil {
		return
	}
	switch e := e.(type) {
	case event.Failure:
		title := "omdeploy: " + failedTitle(e, a.cat)
		msg := failureMessage(e, a.cat)
		if d, ok := a.diagnosed[e.Service]; ok {
			if line := causeLine(d); line != "" {
				msg = "Cause: " + line + "\n\n" + msg
			}
		}
		b.WriteString(workflowCommand("error", title, msg))
	case event.Diagnosis:
		if a.diagnosed == nil {
			a.diagnosed = map[string]event.Diagnosis{}
		}
		a.diagnosed[e.Service] = e
	case event.CheckFinished:
		kind := map[string]string{event.StatusFail: "error", event.StatusWarn: "warning"}[e.Status]
		if kind == "" {
			return
		}
		msg := e.Message
		if fix := a.cat.fix(e.RunbookID, e.Fix); fix != "" {
			msg += "\n\nFix:\n" + fix
		}
		if e.RunbookID != "" {
			msg += "\n\nSee: omdeploy runbook " + e.RunbookID
		}
		title := "omdeploy preflight " + e.ID
		if e.Service != "" {
			title += " (" + e.Service + ")"
		}
		b.WriteString(workflowCommand(kind, title, msg))
	case event.Warning:
		title := "omdeploy"
		if e.Service != "" {
			title += ": " + e.Service
		}
		b.WriteString(workflowCommand("warning", title, e.Message))
	case event.TargetHealth:
		// Progress, not an annotation: a failure says what the targets did.
	case event.StageStarted, event.Planned, event.TaskDefinitionRegistered, event.DeploymentStarted, event.DeploymentProgress, event.ServiceDeploymentProgress, event.LifecycleHookReleased,
		event.ServiceEvent, event.RollbackStarted, event.HealthAttempt, event.HealthResult, event.ServiceFinished,
		event.TaskStarted, event.TaskLog, event.TaskFinished:
		// Annotations are for what needs a person: failures and warnings.
	}
}

// end closes the open group, if any.
func (a *actionsLog) end(b *strings.Builder) {
	if a != nil && a.open {
		b.WriteString("::endgroup::\n")
		a.open = false
	}
}

// failedTitle is a failure's one-line title: where it failed.
func failedTitle(f event.Failure, cat catalogue) string {
	var parts []string
	if f.Service != "" {
		parts = append(parts, f.Service)
	}
	if f.Stage != "" {
		parts = append(parts, string(f.Stage)+" failed")
	} else {
		parts = append(parts, "failed")
	}
	if entry, ok := cat.entry(f.RunbookID); ok {
		parts = append(parts, entry.Title)
	}
	return strings.Join(parts, " — ")
}

// failureMessage is what happened, the likely cause and the fix, as prose
// for an annotation or a summary.
func failureMessage(f event.Failure, cat catalogue) string {
	msg := f.Message
	if entry, ok := cat.entry(f.RunbookID); ok {
		msg += "\n\nLikely cause: " + entry.Diagnosis
	}
	if fix := cat.fix(f.RunbookID, f.Fix); fix != "" {
		msg += "\n\nFix:\n" + fix
	}
	if f.RunbookID != "" {
		msg += "\n\nSee: omdeploy runbook " + f.RunbookID
	}
	return msg
}

// causeLine says in one line why a failed deployment's first stopped task
// stopped: its reason, the first container that exited non-zero (or the
// first with a reason), and that container's last log line.
func causeLine(d event.Diagnosis) string {
	if len(d.Tasks) == 0 {
		return ""
	}
	t := d.Tasks[0]
	line := "task " + t.TaskID + " stopped: " + t.StoppedReason
	if t.TargetHealth != "" {
		line += "; load balancer: " + t.TargetHealth
	}
	for _, c := range t.Containers {
		if (c.ExitCode == nil || *c.ExitCode == 0) && c.Reason == "" {
			continue
		}
		switch {
		case c.ExitCode != nil:
			line += fmt.Sprintf("; container %s exited %d", c.Name, *c.ExitCode)
		default:
			line += fmt.Sprintf("; container %s: %s", c.Name, c.Reason)
		}
		if n := len(c.LogLines); n > 0 {
			line += ": " + c.LogLines[n-1]
		}
		break
	}
	return line
}

// workflowCommand formats ::kind title=…::message with the runner's escaping.
func workflowCommand(kind, title, message string) string {
	return fmt.Sprintf("::%s title=%s::%s\n", kind, escapeProperty(title), escapeData(message))
}

// escapeData escapes a workflow command's message as the runner expects.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value, where ':' and ',' separate.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
