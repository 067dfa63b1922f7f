package report

import (
	"context"
	"log/slog"
	"time"

	"github.com/omdeploy/omdeploy/internal/result"

	"github.com/omdeploy/omdeploy/internal/event"
)

// Keys of the JSON log records (--log-format json). They are part of what
// machines read, so they are never renamed.
const (
	KeyEvent         = "event" // the event kind, e.g. check_finished
	KeyService       = "service"
	KeyStage         = "stage"
	KeyCluster       = "cluster"
	KeyDeploymentID  = "deployment_id"
	KeyTaskDef       = "taskdef"
	KeyPreviousDef   = "previous_taskdef"
	KeyContainer     = "container"
	KeyImage         = "image"
	KeyPreviousImage = "previous_image"
	KeyCheck         = "check"
	KeyStatus        = "status"
	KeyStatusCode    = "status_code"
	KeyMessage       = "message"
	KeyURL           = "url"
	KeyAttempt       = "attempt"
	KeyAttempts      = "attempts"
	KeyRequestID     = "request_id"
	KeyDurationMS    = "duration_ms"
	KeyRolloutState  = "rollout_state"
	KeyReason        = "reason"
	KeyDesired       = "desired"
	KeyRunning       = "running"
	KeyPending       = "pending"
	KeyFailed        = "failed"
	KeyRollback      = "rollback"
	KeyOK            = "ok"
	KeyError         = "error"
	KeyRunbookID     = "runbook_id"
	KeyCause         = "cause"
	KeyFix           = "fix"
	KeyTasks         = "tasks"
	KeyTargetGroup   = "target_group"
	KeyTotal         = "total"
	KeyHealthy       = "healthy"
	KeyDraining      = "draining"
	KeyExitCode      = "exit_code"
	KeyDryRun        = "dry_run"
	KeyReused        = "reused"
	KeyHook          = "hook"
	KeyAction        = "action"
)

// logEvent writes e as one record at the event's time, so that records and
// plain lines of the same run agree.
func logEvent(log *slog.Logger, e event.Event, cat catalogue) {
	level, msg, kind, attrs := eventRecord(e, cat)
	if kind == "" {
		return
	}
	ctx := context.Background()
	if !log.Enabled(ctx, level) {
		return
	}
	rec := slog.NewRecord(event.At(e), level, msg, 0)
	rec.AddAttrs(slog.String(KeyEvent, kind))
	rec.AddAttrs(attrs...)
	_ = log.Handler().Handle(ctx, rec) // a log line that cannot be written has nowhere better to go
}

// logFinished writes the run's last record.
func logFinished(log *slog.Logger, now time.Time, doc result.Document) {
	level := slog.LevelInfo
	if !doc.OK {
		level = slog.LevelError
	}
	rec := slog.NewRecord(now, level, "run finished", 0)
	rec.AddAttrs(slog.String(KeyEvent, "run_finished"), slog.String("command", doc.Command), slog.Bool(KeyOK, doc.OK),
		slog.Int(KeyExitCode, doc.ExitCode), slog.String(KeyStage, string(doc.Stage)), slog.Int64(KeyDurationMS, doc.Duration.Milliseconds()))
	if doc.Error != "" {
		rec.AddAttrs(slog.String(KeyError, doc.Error))
	}
	_ = log.Handler().Handle(context.Background(), rec)
}

func service(s string) []slog.Attr {
	if s == "" {
		return nil
	}
	return []slog.Attr{slog.String(KeyService, s)}
}

// eventRecord maps an event to a record's level, message, kind and
// attributes. Empty values are left out so records stay short.
func eventRecord(e event.Event, cat catalogue) (slog.Level, string, string, []slog.Attr) {
	info := slog.LevelInfo
	switch e := e.(type) {
	case event.StageStarted:
		return info, "stage started", "stage_started", append(service(e.Service), slog.String(KeyStage, string(e.Stage)))
	case event.CheckFinished:
		level := info
		switch e.Status {
		case event.StatusFail:
			level = slog.LevelError
		case event.StatusWarn:
			level = slog.LevelWarn
		}
		attrs := append(service(e.Service), slog.String(KeyCheck, e.ID), slog.String(KeyStatus, e.Status),
			slog.String(KeyMessage, e.Message), slog.Int64(KeyDurationMS, e.Duration.Milliseconds()))
		if e.Status == event.StatusFail || e.Status == event.StatusWarn {
			attrs = append(attrs, runbookAttrs(cat, e.RunbookID, e.Fix)...)
		}
		return level, "check finished", "check_finished", attrs
	case event.Planned:
		return info, "revision planned", "planned", append(service(e.Service), slog.String(KeyPreviousDef, e.CurrentTaskDef), slog.String(KeyTaskDef, e.NewTaskDef),
			slog.String(KeyContainer, e.Container), slog.String(KeyPreviousImage, e.OldImage), slog.String(KeyImage, e.NewImage),
			slog.Bool(KeyReused, e.Reused), slog.Bool(KeyDryRun, e.DryRun))
	case event.TaskDefinitionRegistered:
		return info, "task definition registered", "taskdef_registered", append(service(e.Service), slog.String(KeyTaskDef, e.ARN))
	case event.DeploymentStarted:
		return info, "deployment started", "deployment_started", append(service(e.Service), slog.String(KeyCluster, e.Cluster),
			slog.String(KeyDeploymentID, e.DeploymentID), slog.String(KeyTaskDef, e.TaskDefinition), slog.Bool(KeyRollback, e.Rollback))
	case event.DeploymentProgress:
		attrs := append(service(e.Service), slog.String(KeyDeploymentID, e.DeploymentID), slog.String(KeyRolloutState, e.RolloutState),
			slog.Int(KeyDesired, int(e.Desired)), slog.Int(KeyRunning, int(e.Running)), slog.Int(KeyPending, int(e.Pending)), slog.Int(KeyFailed, int(e.Failed)))
		if e.RolloutReason != "" {
			attrs = append(attrs, slog.String(KeyReason, e.RolloutReason))
		}
		return info, "deployment progress", "deployment_progress", attrs
	case event.ServiceDeploymentProgress:
		return info, "service deployment progress", "service_deployment_progress", sdRecord(e)
	case event.LifecycleHookReleased:
		level := info
		if e.Action != "CONTINUE" {
			level = slog.LevelWarn
		}
		return level, "lifecycle hook released", "lifecycle_hook_released", append(service(e.Service), slog.String(KeyServiceDeployment, e.ARN),
			slog.String(KeyHook, e.HookID), slog.String(KeyAction, e.Action), slog.String(KeyReason, e.Reason))
	case event.TargetHealth:
		return info, "target health", "target_health", append(service(e.Service), slog.String(KeyTargetGroup, e.Targets.TargetGroup),
			slog.Int(KeyTotal, e.Targets.Total), slog.Int(KeyHealthy, e.Targets.Healthy), slog.Int(KeyDraining, e.Targets.Draining),
			slog.String(KeyMessage, e.Targets.Text()))
	case event.ServiceEvent:
		return info, "service event", "service_event", append(service(e.Service), slog.String(KeyMessage, e.Message))
	case event.Diagnosis:
		return slog.LevelError, "diagnosis", "diagnosis", append(service(e.Service), slog.String(KeyMessage, e.Summary), slog.Any(KeyTasks, taskRecords(e.Tasks)))
	case event.RollbackStarted:
		attrs := append(service(e.Service), slog.String(KeyTaskDef, e.To), slog.String(KeyPreviousDef, e.From))
		if e.Undoes != "" {
			attrs = append(attrs, slog.String(KeyUndoes, e.Undoes))
		}
		return slog.LevelWarn, "rollback started", "rollback_started", attrs
	case event.HealthAttempt:
		attrs := append(service(e.Service), slog.String(KeyURL, e.URL), slog.Int(KeyAttempt, e.Attempt),
			slog.Int(KeyStatusCode, e.StatusCode), slog.String(KeyRequestID, e.RequestID), slog.Int64(KeyDurationMS, e.Duration.Milliseconds()))
		if e.Err != "" {
			attrs = append(attrs, slog.String(KeyError, e.Err))
		}
		return slog.LevelDebug, "health attempt", "health_attempt", attrs
	case event.HealthResult:
		level := info
		attrs := append(service(e.Service), slog.String(KeyURL, e.URL), slog.Bool(KeyOK, e.OK), slog.Int(KeyAttempts, e.Attempts),
			slog.Int(KeyStatusCode, e.StatusCode), slog.Int64(KeyDurationMS, e.Elapsed.Milliseconds()))
		if !e.OK {
			level = slog.LevelError
			attrs = append(attrs, slog.String(KeyError, e.Err))
			attrs = append(attrs, runbookAttrs(cat, e.RunbookID, "")...)
		}
		return level, "health result", "health_result", attrs
	case event.Failure:
		attrs := append(service(e.Service), slog.String(KeyStage, string(e.Stage)), slog.String(KeyError, e.Message))
		return slog.LevelError, "failed", "failure", append(attrs, runbookAttrs(cat, e.RunbookID, e.Fix)...)
	case event.Warning:
		return slog.LevelWarn, "warning", "warning", append(service(e.Service), slog.String(KeyMessage, e.Message))
	case event.TaskStarted:
		return info, "task started", "task_started", taskStartedRecord(e)
	case event.TaskLog:
		return info, "task log", "task_log", taskLogRecord(e)
	case event.TaskFinished:
		level, attrs := taskFinishedRecord(e)
		return level, "task finished", "task_finished", attrs
	case event.ServiceFinished:
		level := info
		if !e.OK {
			level = slog.LevelError
		}
		return level, "service finished", "service_finished", append(service(e.Service), slog.Bool(KeyOK, e.OK), slog.String(KeyStage, string(e.Stage)))
	}
	return info, "", "", nil
}

// runbookAttrs carry the runbook ID, the likely cause and the fix.
func runbookAttrs(cat catalogue, id, specific string) []slog.Attr {
	var attrs []slog.Attr
	if id != "" {
		attrs = append(attrs, slog.String(KeyRunbookID, id))
	}
	if entry, ok := cat.entry(id); ok {
		attrs = append(attrs, slog.String(KeyCause, entry.Diagnosis))
	}
	if fix := cat.fix(id, specific); fix != "" {
		attrs = append(attrs, slog.String(KeyFix, fix))
	}
	return attrs
}

// taskRecord is a stopped task in a diagnosis record, with snake_case keys
// like the rest of the record.
type taskRecord struct {
	TaskID        string            `json:"task_id"`
	StoppedReason string            `json:"stopped_reason"`
	StopCode      string            `json:"stop_code,omitempty"`
	RunbookID     string            `json:"runbook_id,omitempty"`
	TargetHealth  string            `json:"target_health,omitempty"`
	Containers    []containerRecord `json:"containers"`
}

type containerRecord struct {
	Name     string   `json:"name"`
	ExitCode *int32   `json:"exit_code"`
	Reason   string   `json:"reason,omitempty"`
	LogGroup string   `json:"log_group,omitempty"`
	LogLines []string `json:"log_lines,omitempty"`
	LogError string   `json:"log_error,omitempty"`
}

func taskRecords(tasks []event.StoppedTask) []taskRecord {
	out := make([]taskRecord, 0, len(tasks))
	for _, t := range tasks {
		r := taskRecord{TaskID: t.TaskID, StoppedReason: t.StoppedReason, StopCode: t.StopCode, RunbookID: t.RunbookID, TargetHealth: t.TargetHealth, Containers: []containerRecord{}}
		for _, c := range t.Containers {
			r.Containers = append(r.Containers, containerRecord{Name: c.Name, ExitCode: c.ExitCode, Reason: c.Reason,
				LogGroup: c.LogGroup, LogLines: c.LogLines, LogError: c.LogError})
		}
		out = append(out, r)
	}
	return out
}
