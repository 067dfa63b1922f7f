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
	case event.CheckFinished, event.Planned, event.TaskDefinitionRegistered, event.DeploymentStarted, event.DeploymentProgress, event.ServiceDeploymentProgress,
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
		b.WriteString(workflowCommand("error", title, failureMessage(e, a.cat)))
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
	case event.StageStarted, event.Planned, event.TaskDefinitionRegistered, event.DeploymentStarted, event.DeploymentProgress, event.ServiceDeploymentProgress,
		event.ServiceEvent, event.Diagnosis, event.RollbackStarted, event.HealthAttempt, event.HealthResult, event.ServiceFinished,
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
