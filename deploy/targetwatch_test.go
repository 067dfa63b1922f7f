package deploy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

var _ deploy.TargetHealthAPI = (*sim.Sim)(nil)

// TestTargetHealthDuringRollout follows a service behind a target group on
// both followers (service deployments, and deployments[] without them):
// the new tasks' target health is progress, the draining old targets name
// the deregistration delay, the stopped tasks' last target reason picks the
// runbook entry, and a failed ELBv2 read is one warning, never a failure.
func TestTargetHealthDuringRollout(t *testing.T) {
	tests := []struct {
		name     string
		rollout  sim.Rollout
		delay    time.Duration
		elbFault string // an error code DescribeTargetHealth answers with

		wantExit     int
		wantRunbook  string
		wantProgress []string // in the TargetHealth events' text
		wantDiag     string   // in a stopped task's TargetHealth
		wantWarnings int
	}{
		{
			name:         "404 is a phantom route",
			rollout:      sim.FailsHealthChecks(sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumResponseCodeMismatch, 404), "GET /health 404"),
			wantExit:     failure.ExitRollout,
			wantRunbook:  runbook.LBTargetsPhantomRoute,
			wantProgress: []string{"0/1 targets healthy; 1 Target.ResponseCodeMismatch: health checks failed with these codes: [404]"},
			wantDiag:     "Target.ResponseCodeMismatch: Health checks failed with these codes: [404]",
		},
		{
			name:         "a timeout is the port or the security group",
			rollout:      sim.FailsHealthChecks(sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumTimeout)),
			wantExit:     failure.ExitRollout,
			wantRunbook:  runbook.LBTargetsTimeout,
			wantProgress: []string{"0/1 targets healthy; 1 Target.Timeout: request timed out"},
			wantDiag:     "Target.Timeout",
		},
		{
			name:         "a 5xx is the application's own",
			rollout:      sim.FailsHealthChecks(sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumResponseCodeMismatch, 502)),
			wantExit:     failure.ExitRollout,
			wantRunbook:  runbook.LBTargetsServerError,
			wantProgress: []string{"1 Target.ResponseCodeMismatch: health checks failed with these codes: [502]"},
			wantDiag:     "[502]",
		},
		{
			name:         "generic failed health checks",
			rollout:      sim.FailsHealthChecks(sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumFailedHealthChecks)),
			wantExit:     failure.ExitRollout,
			wantRunbook:  runbook.LBTargetsUnhealthy,
			wantProgress: []string{"1 Target.FailedHealthChecks: health checks failed"},
			wantDiag:     "Target.FailedHealthChecks",
		},
		{
			name:         "old targets drain for the deregistration delay",
			rollout:      sim.Healthy(),
			delay:        300 * time.Second,
			wantProgress: []string{"1/1 targets healthy; 1 old target draining (deregistration delay 300 s)", "old targets draining (deregistration delay 300 s)"},
		},
		{
			name:         "a failed read is one warning and the deploy goes on",
			rollout:      sim.Healthy(),
			elbFault:     "AccessDenied",
			wantWarnings: 1,
		},
	}
	for _, tt := range tests {
		for _, path := range []string{"service deployments", "deployments[]"} {
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				simTest(t, func(t *testing.T, h *harness) {
					svc := h.service(sim.ServiceSpec{Name: "web", Desired: 3, Port: 8080, CircuitBreaker: true, BreakerRollback: true})
					if path == "deployments[]" {
						h.sim.WithoutServiceDeployments()
					}
					tg := h.sim.AddTargetGroup(sim.TargetGroupSpec{Name: "web", DeregistrationDelay: tt.delay})
					h.sim.AttachTargetGroup("prod", "web", tg, "app", 8080)
					h.sim.Script("prod", "web", tt.rollout)
					if tt.elbFault != "" {
						h.sim.Fail("DescribeTargetHealth", tt.elbFault, "User is not authorized to perform: elasticloadbalancing:DescribeTargetHealth")
					}
					o := h.opts(svc)
					o.Tag, o.ELB = "v2", h.sim
					res, err := h.run(context.Background(), deploy.Deploy, o)

					if got := failure.ExitCode(err); got != tt.wantExit {
						t.Fatalf("exit code = %d, want %d; err = %v", got, tt.wantExit, err)
					}
					if got := failure.RunbookIDOf(err); got != tt.wantRunbook {
						t.Errorf("runbook = %q, want %q", got, tt.wantRunbook)
					}
					events := h.rec.Events()
					var progress []string
					for _, e := range event.Of[event.TargetHealth](events) {
						progress = append(progress, e.Targets.Text())
					}
					for _, want := range tt.wantProgress {
						if !slices.ContainsFunc(progress, func(p string) bool { return strings.Contains(p, want) }) {
							t.Errorf("no target progress contains %q; got %q", want, progress)
						}
					}
					if tt.wantDiag != "" {
						var got []string
						for _, d := range event.Of[event.Diagnosis](events) {
							for _, st := range d.Tasks {
								got = append(got, st.TargetHealth)
								if st.RunbookID != tt.wantRunbook {
									t.Errorf("task %s runbook = %q, want %q", st.TaskID, st.RunbookID, tt.wantRunbook)
								}
							}
						}
						if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.wantDiag) }) {
							t.Errorf("no stopped task's target health contains %q: %q", tt.wantDiag, got)
						}
						// The result keeps the run's own new tasks, not the
						// healthy ones of the rollback after them.
						if ts := res.Services[0].Targets; len(ts) != 1 || ts[0].Healthy != 0 || len(ts[0].Problems) != 1 {
							t.Errorf("result targets = %+v, want the failing new tasks'", ts)
						}
						if r := res.Services[0].Diagnosis; r == nil || len(r.Tasks) == 0 || !strings.Contains(r.Tasks[0].TargetHealth, tt.wantDiag) {
							t.Errorf("result diagnosis = %+v, want the target health", r)
						}
					}
					if tt.wantExit == 0 && len(tt.wantProgress) > 0 && len(res.Services[0].Targets) != 1 {
						t.Errorf("result targets = %+v, want one target group", res.Services[0].Targets)
					}
					var warnings int
					for _, w := range event.Of[event.Warning](events) {
						if strings.Contains(w.Message, "target group web") {
							warnings++
						}
					}
					if warnings != tt.wantWarnings {
						t.Errorf("target warnings = %d, want %d", warnings, tt.wantWarnings)
					}
					calls := h.sim.Calls()
					if tt.elbFault != "" && calls["DescribeTargetHealth"] != 1 {
						t.Errorf("DescribeTargetHealth calls = %d, want 1: a failed group is not asked again", calls["DescribeTargetHealth"])
					}
					if n := calls["DescribeTargetGroupAttributes"]; n > 1 {
						t.Errorf("DescribeTargetGroupAttributes calls = %d, want at most 1 per target group per run", n)
					}
					// The tasks are listed again only when the load balancer's
					// answer changed, not at every look (the diagnosis and the
					// digest comparison list them once more each).
					if n := calls["DescribeTargetHealth"]; n > 3 && calls["ListTasks"] >= n {
						t.Errorf("ListTasks calls = %d for %d looks at the targets: listed at every look", calls["ListTasks"], n)
					}
					// No faster than the rollout poll: one look per poll at most.
					polls := calls["DescribeServices"] + calls["DescribeServiceDeployments"]
					if n := calls["DescribeTargetHealth"]; n == 0 && tt.elbFault == "" || n > polls {
						t.Errorf("DescribeTargetHealth calls = %d, polls = %d", n, polls)
					}
				})
			})
		}
	}
}

// TestTargetHealthBlueGreen: a blue/green service's new tasks register in
// the alternate target group; the follower reports that group, not the
// other one of the pair, where the new tasks never are.
func TestTargetHealthBlueGreen(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "web", Desired: 2, Port: 8080})
		h.sim.SetStrategy("prod", "web", sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: time.Minute})
		blue := h.sim.AddTargetGroup(sim.TargetGroupSpec{Name: "web-blue"})
		green := h.sim.AddTargetGroup(sim.TargetGroupSpec{Name: "web-green"})
		h.sim.AttachLoadBalancer("prod", "web", ecstypes.LoadBalancer{
			TargetGroupArn: aws.String(blue), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080),
			AdvancedConfiguration: &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: aws.String(green)},
		})
		o := h.opts(svc)
		o.Tag, o.ELB = "v2", h.sim
		if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
			t.Fatal(err)
		}
		var groups, texts []string
		for _, e := range event.Of[event.TargetHealth](h.rec.Events()) {
			groups = append(groups, e.Targets.Name)
			texts = append(texts, e.Targets.Text())
		}
		if len(groups) == 0 || slices.ContainsFunc(groups, func(g string) bool { return g != "web-green" }) {
			t.Errorf("target health reported for %q, want web-green only", groups)
		}
		if !slices.Contains(texts, "2/2 targets healthy") {
			t.Errorf("progress = %q, want 2/2 targets healthy", texts)
		}
	})
}

// hangingELB never answers DescribeTargetHealth.
type hangingELB struct{ *sim.Sim }

func (hangingELB) DescribeTargetHealth(ctx context.Context, _ *elasticloadbalancingv2.DescribeTargetHealthInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestTargetHealthHangs: an ELBv2 endpoint that never answers costs one
// bounded look and one warning; the rollout is followed to its end on
// time.
func TestTargetHealthHangs(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "web", Desired: 2, Port: 8080})
		h.sim.AttachTargetGroup("prod", "web", h.sim.AddTargetGroup(sim.TargetGroupSpec{Name: "web"}), "app", 8080)
		svc.WaitTimeout = 2 * time.Minute
		o := h.opts(svc)
		o.Tag, o.ELB = "v2", hangingELB{h.sim}
		start := time.Now()
		if _, err := h.run(context.Background(), deploy.Deploy, o); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > svc.WaitTimeout {
			t.Errorf("the deploy took %s of simulated time, past its wait timeout %s", took, svc.WaitTimeout)
		}
		if n := len(event.Of[event.Warning](h.rec.Events())); n != 1 {
			t.Errorf("warnings = %d, want 1", n)
		}
	})
}
