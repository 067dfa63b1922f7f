package report

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

// phantomTargets is a rollout whose new target answers the health check
// with 404 while two old ones drain.
var phantomTargets = result.TargetGroupHealth{
	TargetGroup: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/6d0ecf831eec9f09", Name: "web",
	Total: 3, Healthy: 2, Draining: 2, DeregistrationDelaySeconds: 300,
	Problems: []result.TargetProblem{{Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [404]", Count: 1}},
}

const phantomText = "2/3 targets healthy; 1 Target.ResponseCodeMismatch: health checks failed with these codes: [404]; 2 old targets draining (deregistration delay 300 s)"

// TestTargetHealthViews: the new tasks' target health is one line in the
// plain view, part of the service's row in the live view while it rolls
// out, a record in the JSON log, and a table in the step summary.
func TestTargetHealthViews(t *testing.T) {
	e := event.TargetHealth{Service: "web", Targets: phantomTargets}
	t.Run("plain", func(t *testing.T) {
		if got, want := (textView{}).eventText(e), "[web] targets web: "+phantomText; got != want {
			t.Errorf("plain:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("log record", func(t *testing.T) {
		var log strings.Builder
		logEvent(slog.New(slog.NewJSONHandler(&log, nil)), e, nil)
		for _, s := range []string{`"event":"target_health"`, `"target_group":"` + phantomTargets.TargetGroup, `"healthy":2`, `"draining":2`, "[404]"} {
			if !strings.Contains(log.String(), s) {
				t.Errorf("log record lacks %s: %s", s, log.String())
			}
		}
	})
	t.Run("live row while rolling out", func(t *testing.T) {
		v := newLiveView(testStart, func() int { return 400 }, palette{})
		v.apply(event.StageStarted{Service: "web", Stage: failure.StageRollout}, testStart)
		v.apply(e, testStart)
		if !v.inBlock(e) {
			t.Error("the live view prints target health as lines instead of in its block")
		}
		if frame := v.frame(testStart, false); !strings.Contains(frame, "targets "+phantomText) {
			t.Errorf("live block lacks the targets: %q", frame)
		}
		v.apply(event.ServiceFinished{Service: "web", OK: true, Stage: failure.StageDone}, testStart.Add(time.Second))
		if frame := v.frame(testStart.Add(time.Second), true); strings.Contains(frame, "targets ") {
			t.Errorf("a finished service's row still shows rollout targets: %q", frame)
		}
	})
	t.Run("step summary", func(t *testing.T) {
		doc := result.New("deploy", nil, time.Second)
		doc.Services = []result.Service{{Name: "web", Stage: "rollout", Error: "rolled back", Targets: []result.TargetGroupHealth{phantomTargets},
			Diagnosis: &result.Diagnosis{Service: "web", Summary: "1 task(s) stopped", Tasks: []result.StoppedTask{{
				TaskID: "t1", StoppedReason: "Task failed ELB health checks in (target-group web)",
				TargetHealth: "Target.ResponseCodeMismatch: Health checks failed with these codes: [404]",
			}}}}}
		got := stepSummary(doc, nil, nil)
		for _, want := range []string{"#### Load balancer targets", "| web | `web` | " + phantomText + " |",
			"; load balancer: Target.ResponseCodeMismatch: Health checks failed with these codes: [404]"} {
			if !strings.Contains(got, want) {
				t.Errorf("step summary lacks %q:\n%s", want, got)
			}
		}
	})
	t.Run("diagnosis names the target's last reason", func(t *testing.T) {
		d := event.Diagnosis{Service: "web", Summary: "1 task(s) stopped", Tasks: []event.StoppedTask{{
			TaskID: "t1", StoppedReason: "Task failed ELB health checks in (target-group web)",
			TargetHealth: "Target.Timeout: Request timed out",
		}}}
		if got := (textView{}).diagnosisText(d); !strings.Contains(got, "\n    load balancer: Target.Timeout: Request timed out") {
			t.Errorf("diagnosis lacks the target health:\n%s", got)
		}
		if got := causeLine(d); !strings.Contains(got, "load balancer: Target.Timeout") {
			t.Errorf("annotation cause line = %q, want the target health", got)
		}
	})
}
