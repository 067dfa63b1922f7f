package report

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// Keys of the task records in the JSON log; never renamed.
const (
	KeyTask    = "task"
	KeyPhase   = "phase"
	KeyTaskARN = "task_arn"
	KeyLine    = "line"
)

// taskPrefix names the service and the task a line belongs to, so a
// migration's log reads apart from the run's own lines and from another
// service's task running at the same time.
func taskPrefix(service, task string) string {
	return prefix(service) + task + " | "
}

func (v textView) taskStartedText(e event.TaskStarted) string {
	return fmt.Sprintf("%s%s task %s started: %s (%s)", prefix(e.Service), e.Phase, e.Task, lastPart(e.TaskARN), shortARN(e.TaskDefinition))
}

func (v textView) taskLogText(e event.TaskLog) string {
	return taskPrefix(e.Service, e.Task) + printable(e.Line)
}

func (v textView) taskFinishedText(e event.TaskFinished) string {
	p := v.pal
	code := "-"
	if e.ExitCode != nil {
		code = fmt.Sprint(*e.ExitCode)
	}
	if e.OK {
		return fmt.Sprintf("%s%s task %s %s (exit %s, %s)", prefix(e.Service), e.Phase, e.Task, p.green("succeeded"), code, roundDuration(e.Duration))
	}
	return fmt.Sprintf("%s%s task %s %s (exit %s, %s): %s", prefix(e.Service), e.Phase, e.Task, p.red("failed"), code, roundDuration(e.Duration), printable(e.Reason))
}

func taskStartedRecord(e event.TaskStarted) []slog.Attr {
	return append(service(e.Service), slog.String(KeyTask, e.Task), slog.String(KeyPhase, e.Phase),
		slog.String(KeyTaskARN, e.TaskARN), slog.String(KeyTaskDef, e.TaskDefinition))
}

func taskLogRecord(e event.TaskLog) []slog.Attr {
	return append(service(e.Service), slog.String(KeyTask, e.Task), slog.String(KeyContainer, e.Container), slog.String(KeyLine, e.Line))
}

func taskFinishedRecord(e event.TaskFinished) (slog.Level, []slog.Attr) {
	attrs := append(service(e.Service), slog.String(KeyTask, e.Task), slog.String(KeyPhase, e.Phase),
		slog.String(KeyTaskARN, e.TaskARN), slog.Bool(KeyOK, e.OK), slog.Int64(KeyDurationMS, e.Duration.Milliseconds()))
	if e.ExitCode != nil {
		attrs = append(attrs, slog.Int(KeyExitCode, int(*e.ExitCode)))
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String(KeyReason, e.Reason))
	}
	if !e.OK {
		return slog.LevelError, attrs
	}
	return slog.LevelInfo, attrs
}

// printable drops control characters (colour codes, carriage returns,
// cursor movement) from a line a container wrote: on a terminal they would
// redraw over the live block and could forge what omdeploy itself says.
func printable(s string) string {
	s = ansiSequence().ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// ansiSequence is a CSI or OSC escape sequence, removed whole so that no
// "[2J" is left behind its ESC.
var ansiSequence = lazyre.New(`\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\))`)

// lastPart is what follows the last "/": a task ID from its ARN.
func lastPart(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
