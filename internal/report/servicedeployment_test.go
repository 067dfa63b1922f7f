package report

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/result"
)

func TestServiceDeploymentProgressViews(t *testing.T) {
	w := func(f float64) *float64 { return &f }
	const arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/Ab3kX9"
	tests := []struct {
		name      string
		e         event.ServiceDeploymentProgress
		wantPlain string
		wantLog   []string // attribute keys, then values, the JSON log record must hold
		wantLive  string   // the live view row's state
	}{
		{
			name:      "rolling scale-up with the breaker",
			e:         event.ServiceDeploymentProgress{Service: "api", ARN: arn, Strategy: "ROLLING", Status: "IN_PROGRESS", LifecycleStage: "SCALE_UP", Running: 1, Desired: 3, BreakerFailures: 1, BreakerThreshold: 3},
			wantPlain: "[api] service deployment Ab3kX9 ROLLING IN_PROGRESS SCALE_UP running=1/3 breaker 1/3",
			wantLog:   []string{KeyServiceDeployment, KeyLifecycleStage, KeyBreakerFailures, KeyBreakerThreshold, "SCALE_UP"},
			wantLive:  "SCALE_UP 1/3 breaker 1/3",
		},
		{
			name: "canary at its share, baking, a hook waiting",
			e: event.ServiceDeploymentProgress{Service: "api", ARN: arn, Strategy: "CANARY", Status: "IN_PROGRESS", LifecycleStage: "BAKE_TIME",
				Running: 2, Desired: 2, ProductionWeight: w(12.5), TestWeight: w(100), BakeTimeLeft: 90 * time.Second,
				Alarms: []string{"api-5xx"}, Hooks: []event.LifecycleHook{{ID: "hook-1", Status: "AWAITING_ACTION"}}},
			wantPlain: "[api] service deployment Ab3kX9 CANARY IN_PROGRESS BAKE_TIME running=2/2 prod=12.5% test=100% bake 1m30s left alarms api-5xx hook hook-1 AWAITING_ACTION",
			wantLog:   []string{KeyProductionWeight, KeyTestWeight, KeyBakeTimeLeftMS, KeyAlarms, KeyTriggeredAlarms, KeyHooks, "12.5", "90000", "AWAITING_ACTION"},
			wantLive:  "BAKE_TIME 2/2 prod 12.5% bake 1m30s hook hook-1 waiting",
		},
		{
			name: "rolled back by an alarm",
			e: event.ServiceDeploymentProgress{Service: "api", ARN: arn, Strategy: "BLUE_GREEN", Status: "ROLLBACK_SUCCESSFUL", LifecycleStage: "CLEAN_UP",
				StatusReason: "alarm api-5xx fired.", ProductionWeight: w(0), TestWeight: w(0), Alarms: []string{"api-5xx", "api-p99"}, TriggeredAlarms: []string{"api-5xx"}},
			wantPlain: "[api] service deployment Ab3kX9 BLUE_GREEN ROLLBACK_SUCCESSFUL CLEAN_UP prod=0% test=0% alarms api-5xx,api-p99 FIRED api-5xx: alarm api-5xx fired.",
			wantLog:   []string{KeyTriggeredAlarms, KeyReason, "ROLLBACK_SUCCESSFUL"},
			wantLive:  "ROLLBACK_SUCCESSFUL prod 0% ALARM api-5xx",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (textView{}).eventText(tt.e); got != tt.wantPlain {
				t.Errorf("plain:\n got %q\nwant %q", got, tt.wantPlain)
			}
			var log strings.Builder
			logEvent(slog.New(slog.NewJSONHandler(&log, nil)), tt.e, nil)
			for _, s := range append([]string{`"event":"service_deployment_progress"`}, tt.wantLog...) {
				if !strings.Contains(log.String(), s) {
					t.Errorf("log record lacks %s: %s", s, log.String())
				}
			}
			v := newLiveView(testStart, func() int { return 200 }, palette{})
			v.apply(tt.e, testStart)
			if !v.inBlock(tt.e) {
				t.Error("the live view prints progress as lines instead of in its block")
			}
			if frame := v.frame(testStart, true); !strings.Contains(frame, tt.wantLive) || !strings.Contains(frame, "0:00") {
				t.Errorf("live block lacks %q or the elapsed time: %q", tt.wantLive, frame)
			}
		})
	}
}

func TestStepSummaryNamesTheServiceDeployment(t *testing.T) {
	doc := result.New("deploy", nil, time.Second)
	doc.Services = []result.Service{{
		Name: "api", Stage: "rollout", Error: "rolled back", RolledBack: true, DeploymentID: "ecs-svc/1",
		ServiceDeploymentARN: "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/Ab3kX9", Strategy: "CANARY",
		Status: "ROLLBACK_SUCCESSFUL", LifecycleStage: "CLEAN_UP", TriggeredAlarms: []string{"api-5xx"},
	}}
	got := stepSummary(doc, nil, nil)
	for _, want := range []string{"`Ab3kX9`", "CANARY ROLLBACK_SUCCESSFUL at CLEAN_UP; alarm api-5xx fired"} {
		if !strings.Contains(got, want) {
			t.Errorf("step summary lacks %q:\n%s", want, got)
		}
	}
}

// TestGateViews: the gate's release of its hook shows as a line in the
// plain and live views and as a record in the JSON log (a warning when it
// sent ROLLBACK), and the step summary lists the test listener's verdicts
// before production's.
func TestGateViews(t *testing.T) {
	const arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/Ab3kX9"
	tests := []struct {
		name      string
		action    string
		wantPlain string
		wantLevel string
	}{
		{"continue", "CONTINUE", "[api] service deployment Ab3kX9: lifecycle hook hook-1 released with CONTINUE: 1 endpoint(s) passed", `"level":"INFO"`},
		{"rollback", "ROLLBACK", "[api] service deployment Ab3kX9: lifecycle hook hook-1 released with ROLLBACK: 1 endpoint(s) passed", `"level":"WARN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := event.LifecycleHookReleased{Service: "api", ARN: arn, HookID: "hook-1", Action: tt.action, Reason: "1 endpoint(s) passed"}
			if got := (textView{}).eventText(e); got != tt.wantPlain {
				t.Errorf("plain:\n got %q\nwant %q", got, tt.wantPlain)
			}
			var log strings.Builder
			logEvent(slog.New(slog.NewJSONHandler(&log, nil)), e, nil)
			for _, s := range []string{`"event":"lifecycle_hook_released"`, tt.wantLevel, `"hook":"hook-1"`, `"action":"` + tt.action + `"`, arn} {
				if !strings.Contains(log.String(), s) {
					t.Errorf("log record lacks %s: %s", s, log.String())
				}
			}
			if v := newLiveView(testStart, func() int { return 200 }, palette{}); v.inBlock(e) {
				t.Error("the live view hides the hook's release in its block; it is a line above it")
			}
		})
	}
	doc := result.New("deploy", nil, time.Second)
	doc.Services = []result.Service{{
		Name: "api", Stage: "health", TestTrafficHealth: []result.Health{{URL: "https://api:8443/healthz", Error: "503 Service Unavailable", StatusCode: 503, Attempts: 9}},
		Health: []result.Health{},
	}}
	got := stepSummary(doc, nil, nil)
	if want := "| api (test listener) | `https://api:8443/healthz` | ❌ 503 Service Unavailable | 503 | 9 |"; !strings.Contains(got, want) {
		t.Errorf("step summary lacks %q:\n%s", want, got)
	}
}
