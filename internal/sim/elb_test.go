package sim

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

func targetHealth(t *testing.T, s *Sim, tgARN string, targets ...elbtypes.TargetDescription) []elbtypes.TargetHealthDescription {
	t.Helper()
	out, err := s.DescribeTargetHealth(context.Background(), &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN), Targets: targets})
	if err != nil {
		t.Fatalf("describe target health: %v", err)
	}
	return out.TargetHealthDescriptions
}

func TestTargetHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		health     TargetHealth
		wantState  elbtypes.TargetHealthStateEnum
		wantReason elbtypes.TargetHealthReasonEnum
		wantDesc   string
	}{
		{"healthy", TargetHealthy(), elbtypes.TargetHealthStateEnumHealthy, "", ""},
		{"failed health checks", TargetUnhealthy(elbtypes.TargetHealthReasonEnumFailedHealthChecks),
			elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumFailedHealthChecks, "Health checks failed"},
		{"response code mismatch names the codes", TargetUnhealthy(elbtypes.TargetHealthReasonEnumResponseCodeMismatch, 404),
			elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumResponseCodeMismatch, "Health checks failed with these codes: [404]"},
		{"timeout", TargetUnhealthy(elbtypes.TargetHealthReasonEnumTimeout),
			elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumTimeout, "Request timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t)
			tg := s.AddTargetGroup(TargetGroupSpec{Name: "tg"})
			s.RegisterTarget(tg, "10.0.1.7", 8080, tt.health)
			got := targetHealth(t, s, tg)
			if len(got) != 1 {
				t.Fatalf("got %d targets, want 1", len(got))
			}
			h := got[0].TargetHealth
			if h.State != tt.wantState || h.Reason != tt.wantReason || aws.ToString(h.Description) != tt.wantDesc {
				t.Errorf("health = %s %s %q, want %s %s %q", h.State, h.Reason, aws.ToString(h.Description), tt.wantState, tt.wantReason, tt.wantDesc)
			}
			if id := aws.ToString(got[0].Target.Id); id != "10.0.1.7" || aws.ToInt32(got[0].Target.Port) != 8080 {
				t.Errorf("target = %s:%d", id, aws.ToInt32(got[0].Target.Port))
			}
		})
	}
}

// TestTargetDraining: a deregistered target drains for the group's delay,
// then is gone; asked for by name it is then unused, not registered.
func TestTargetDraining(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		tg := s.AddTargetGroup(TargetGroupSpec{Name: "tg", DeregistrationDelay: 30 * time.Second})
		s.RegisterTarget(tg, "10.0.1.7", 8080, TargetHealthy())
		s.RegisterTarget(tg, "10.0.1.8", 8080, TargetHealthy())
		if _, err := s.DeregisterTargets(context.Background(), &elasticloadbalancingv2.DeregisterTargetsInput{
			TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.1.7"), Port: aws.Int32(8080)}},
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(29 * time.Second)
		got := targetHealth(t, s, tg)
		if len(got) != 2 || got[0].TargetHealth.State != elbtypes.TargetHealthStateEnumDraining ||
			got[0].TargetHealth.Reason != elbtypes.TargetHealthReasonEnumDeregistrationInProgress {
			t.Fatalf("after 29s: %+v, want 10.0.1.7 draining", got)
		}
		time.Sleep(time.Second)
		got = targetHealth(t, s, tg)
		if len(got) != 1 || aws.ToString(got[0].Target.Id) != "10.0.1.8" {
			t.Fatalf("after the delay: %d targets, want only 10.0.1.8", len(got))
		}
		named := targetHealth(t, s, tg, elbtypes.TargetDescription{Id: aws.String("10.0.1.7"), Port: aws.Int32(8080)})
		if h := named[0].TargetHealth; h.State != elbtypes.TargetHealthStateEnumUnused || h.Reason != elbtypes.TargetHealthReasonEnumNotRegistered {
			t.Errorf("drained target asked by name = %s %s, want unused Target.NotRegistered", h.State, h.Reason)
		}
	})
}

// TestTargetGroupWiring: the service lists its target group, the target
// group its load balancer, and the listener's default rule forwards to it.
func TestTargetGroupWiring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSim(t)
	s.AddService(ServiceSpec{Cluster: "prod", Name: "web", Port: 8080})
	tg := s.AddTargetGroup(TargetGroupSpec{Name: "web", HealthPath: "/health", Matcher: "200-299"})
	s.AttachTargetGroup("prod", "web", tg, "app", 8080)

	lbs := describe(t, s, "web").LoadBalancers
	if len(lbs) != 1 || aws.ToString(lbs[0].TargetGroupArn) != tg || aws.ToString(lbs[0].ContainerName) != "app" || aws.ToInt32(lbs[0].ContainerPort) != 8080 {
		t.Fatalf("service load balancers = %+v", lbs)
	}
	groups, err := s.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
	if err != nil || len(groups.TargetGroups) != 1 {
		t.Fatalf("describe target groups: %v %+v", err, groups)
	}
	g := groups.TargetGroups[0]
	if aws.ToString(g.HealthCheckPath) != "/health" || aws.ToString(g.Matcher.HttpCode) != "200-299" || g.TargetType != elbtypes.TargetTypeEnumIp || len(g.LoadBalancerArns) != 1 {
		t.Fatalf("target group = %+v", g)
	}
	ls, err := s.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: aws.String(g.LoadBalancerArns[0])})
	if err != nil || len(ls.Listeners) != 1 {
		t.Fatalf("describe listeners: %v %+v", err, ls)
	}
	rules, err := s.DescribeRules(ctx, &elasticloadbalancingv2.DescribeRulesInput{ListenerArn: ls.Listeners[0].ListenerArn})
	if err != nil || len(rules.Rules) != 1 {
		t.Fatalf("describe rules: %v %+v", err, rules)
	}
	if r := rules.Rules[0]; !aws.ToBool(r.IsDefault) || aws.ToString(r.Actions[0].TargetGroupArn) != tg {
		t.Errorf("default rule = %+v, want a forward to %s", r, tg)
	}

	_, err = s.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tg + "x"}})
	if code := awsx.Code(err); code != "TargetGroupNotFound" {
		t.Errorf("missing target group: code %q (%v), want TargetGroupNotFound", code, err)
	}
}
