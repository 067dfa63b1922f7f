package preflight

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestTargetGroupsBlueGreenSim: a blue/green service's alternate target
// group is checked as the primary one is, and its production and test
// listener rules must exist.
func TestTargetGroupsBlueGreenSim(t *testing.T) {
	t.Parallel()
	const (
		prodRule = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-blue/1/2/prod"
		testRule = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-blue/1/2/test"
	)
	tests := []struct {
		name      string
		alt       *sim.TargetGroupSpec // nil: the alternate ARN names no target group
		rules     []string             // the listener rules that exist
		status    string
		runbookID string
		inMsg     []string
		wantExit  int
	}{
		{
			name: "wired", alt: &sim.TargetGroupSpec{Name: "web-green"}, rules: []string{prodRule, testRule},
			status: event.StatusPass, wantExit: failure.ExitOK,
			inMsg: []string{"alternate target group web-green (ip) forwards to app:8080", "production listener rule exists, test listener rule exists"},
		},
		{
			name: "alternate of the wrong target type", alt: &sim.TargetGroupSpec{Name: "web-green", TargetType: elbtypes.TargetTypeEnumInstance}, rules: []string{prodRule, testRule},
			status: event.StatusFail, runbookID: runbook.LBTargetTypeMismatch, wantExit: failure.ExitPreflight,
			inMsg: []string{"alternate target group web-green has target type instance"},
		},
		{
			name: "alternate checks an undeclared path", alt: &sim.TargetGroupSpec{Name: "web-green", HealthPath: "/health"}, rules: []string{prodRule, testRule},
			status: event.StatusWarn, runbookID: runbook.LBHealthPathMismatch, wantExit: failure.ExitOK,
			inMsg: []string{"alternate target group web-green: the load balancer checks /health; omdeploy verifies /healthz"},
		},
		{
			name: "alternate missing", rules: []string{prodRule, testRule},
			status: event.StatusFail, runbookID: runbook.LBTargetGroupMissing, wantExit: failure.ExitPreflight,
			inMsg: []string{"alternate target group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0 does not exist"},
		},
		{
			name: "test listener rule missing", alt: &sim.TargetGroupSpec{Name: "web-green"}, rules: []string{prodRule},
			status: event.StatusFail, runbookID: runbook.LBListenerRuleMissing, wantExit: failure.ExitPreflight,
			inMsg: []string{"the blue/green test listener rule " + testRule + " does not exist"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sim.New(clock.Real{})
			s.AddService(sim.ServiceSpec{Cluster: testCluster, Name: testService, Port: 8080})
			blue := s.AddTargetGroup(sim.TargetGroupSpec{Name: "web-blue"})
			alt := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0"
			if tt.alt != nil {
				alt = s.AddTargetGroup(*tt.alt)
			}
			out, err := s.DescribeTargetGroups(t.Context(), &elasticloadbalancingv2.DescribeTargetGroupsInput{TargetGroupArns: []string{blue}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.rules {
				s.AddRule(out.TargetGroups[0].LoadBalancerArns[0], elbtypes.Rule{RuleArn: aws.String(r), Priority: aws.String("10"),
					Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(blue)}}})
			}
			s.AttachLoadBalancer(testCluster, testService, ecstypes.LoadBalancer{
				TargetGroupArn: aws.String(blue), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080),
				AdvancedConfiguration: &ecstypes.AdvancedConfiguration{
					AlternateTargetGroupArn: aws.String(alt), ProductionListenerRule: aws.String(prodRule), TestListenerRule: aws.String(testRule),
					RoleArn: aws.String("arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers"),
				},
			})
			checks, err := runSim(t, s)
			expect(t, find(t, checks, IDLBTargetGroups, testService), tt.status, tt.runbookID, tt.inMsg...)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Errorf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
		})
	}
}
