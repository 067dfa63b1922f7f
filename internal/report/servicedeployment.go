package report

import (
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/result"
)

// Log keys of ServiceDeploymentProgress records.
const (
	KeyServiceDeployment = "service_deployment_arn"
	// KeyUndoes names the service deployment `omdeploy rollback` undoes.
	KeyUndoes           = "undoes_service_deployment"
	KeyStrategy         = "strategy"
	KeyLifecycleStage   = "lifecycle_stage"
	KeyProductionWeight = "production_weight"
	KeyTestWeight       = "test_weight"
	KeyBakeTimeLeftMS   = "bake_time_left_ms"
	KeyBreakerFailures  = "breaker_failures"
	KeyBreakerThreshold = "breaker_threshold"
	KeyAlarms           = "alarms"
	KeyTriggeredAlarms  = "triggered_alarms"
	KeyHooks            = "hooks"
)

// sdProgressText is one line about a service deployment's progress, the
// same in the plain lines and the live view: what a person watching a
// blue/green or canary rollout wants at a glance.
func sdProgressText(e event.ServiceDeploymentProgress) string {
	parts := []string{fmt.Sprintf("%s %s", orDash(e.Status), orDash(e.LifecycleStage))}
	if e.Strategy != "" {
		parts[0] = e.Strategy + " " + parts[0]
	}
	if e.Desired > 0 || e.Running > 0 {
		parts = append(parts, fmt.Sprintf("running=%d/%d", e.Running, e.Desired))
	}
	if e.ProductionWeight != nil {
		parts = append(parts, fmt.Sprintf("prod=%s%%", pct(*e.ProductionWeight)))
	}
	if e.TestWeight != nil {
		parts = append(parts, fmt.Sprintf("test=%s%%", pct(*e.TestWeight)))
	}
	if e.BakeTimeLeft > 0 {
		parts = append(parts, "bake "+e.BakeTimeLeft.Round(time.Second).String()+" left")
	}
	if e.BreakerThreshold > 0 {
		parts = append(parts, fmt.Sprintf("breaker %d/%d", e.BreakerFailures, e.BreakerThreshold))
	}
	if len(e.Alarms) > 0 {
		s := "alarms " + strings.Join(e.Alarms, ",")
		if len(e.TriggeredAlarms) > 0 {
			s += " FIRED " + strings.Join(e.TriggeredAlarms, ",")
		}
		parts = append(parts, s)
	}
	for _, h := range e.Hooks {
		parts = append(parts, "hook "+h.ID+" "+h.Status)
	}
	s := strings.Join(parts, " ")
	if e.StatusReason != "" && e.Status != "IN_PROGRESS" {
		s += ": " + e.StatusReason
	}
	return s
}

// sdLiveText is the live view's compact state of a service deployment, so
// that the row keeps its elapsed time on an ordinary terminal: the stage (or
// the status once it is not IN_PROGRESS), tasks, production traffic, and
// only the monitors that need a look.
func sdLiveText(e event.ServiceDeploymentProgress) string {
	parts := []string{orDash(e.LifecycleStage)}
	if e.Status != "IN_PROGRESS" {
		parts[0] = orDash(e.Status)
	}
	if e.Desired > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d", e.Running, e.Desired))
	}
	if e.ProductionWeight != nil {
		parts = append(parts, "prod "+pct(*e.ProductionWeight)+"%")
	}
	if e.BakeTimeLeft > 0 {
		parts = append(parts, "bake "+e.BakeTimeLeft.Round(time.Second).String())
	}
	if e.BreakerFailures > 0 {
		parts = append(parts, fmt.Sprintf("breaker %d/%d", e.BreakerFailures, e.BreakerThreshold))
	}
	if len(e.TriggeredAlarms) > 0 {
		parts = append(parts, "ALARM "+strings.Join(e.TriggeredAlarms, ","))
	}
	for _, h := range e.Hooks {
		if h.Status == "AWAITING_ACTION" {
			parts = append(parts, "hook "+h.ID+" waiting")
		}
	}
	return strings.Join(parts, " ")
}

func pct(w float64) string {
	if w == math.Trunc(w) {
		return fmt.Sprintf("%.0f", w)
	}
	return fmt.Sprintf("%.1f", w)
}

// sdRecord is the log record's attributes of a ServiceDeploymentProgress.
func sdRecord(e event.ServiceDeploymentProgress) []slog.Attr {
	attrs := append(service(e.Service), slog.String(KeyServiceDeployment, e.ARN), slog.String(KeyStrategy, e.Strategy),
		slog.String(KeyStatus, e.Status), slog.String(KeyLifecycleStage, e.LifecycleStage),
		slog.Int(KeyDesired, int(e.Desired)), slog.Int(KeyRunning, int(e.Running)))
	if e.StatusReason != "" {
		attrs = append(attrs, slog.String(KeyReason, e.StatusReason))
	}
	if e.ProductionWeight != nil {
		attrs = append(attrs, slog.Float64(KeyProductionWeight, *e.ProductionWeight))
	}
	if e.TestWeight != nil {
		attrs = append(attrs, slog.Float64(KeyTestWeight, *e.TestWeight))
	}
	if e.BakeTimeLeft > 0 {
		attrs = append(attrs, slog.Int64(KeyBakeTimeLeftMS, e.BakeTimeLeft.Milliseconds()))
	}
	if e.BreakerThreshold > 0 {
		attrs = append(attrs, slog.Int(KeyBreakerFailures, int(e.BreakerFailures)), slog.Int(KeyBreakerThreshold, int(e.BreakerThreshold)))
	}
	if len(e.Alarms) > 0 {
		attrs = append(attrs, slog.Any(KeyAlarms, e.Alarms), slog.Any(KeyTriggeredAlarms, nonNil(e.TriggeredAlarms)))
	}
	if len(e.Hooks) > 0 {
		hooks := make([]map[string]string, len(e.Hooks))
		for i, h := range e.Hooks {
			hooks[i] = map[string]string{"id": h.ID, "status": h.Status}
			if !h.ExpiresAt.IsZero() {
				hooks[i]["expires_at"] = h.ExpiresAt.UTC().Format(time.RFC3339)
			}
		}
		attrs = append(attrs, slog.Any(KeyHooks, hooks))
	}
	return attrs
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// lastPart is the last segment of an ARN: the ID a person can match with
// the console.
// sdSummary is the step summary's rollout cell for a followed service
// deployment: strategy, status and stage, why ECS rolled back, which alarms
// fired.
func sdSummary(s result.Service) string {
	out := strings.TrimSpace(s.Strategy + " " + s.Status)
	if s.LifecycleStage != "" {
		out += " at " + s.LifecycleStage
	}
	if len(s.TriggeredAlarms) > 0 {
		out += "; alarm " + strings.Join(s.TriggeredAlarms, ", ") + " fired"
	}
	if s.RollbackReason != "" {
		out += "; " + s.RollbackReason
	}
	return out
}
