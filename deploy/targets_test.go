package deploy

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

func awsvpcTask(ip string) ecstypes.Task {
	return ecstypes.Task{Attachments: []ecstypes.Attachment{{
		Type:    aws.String("ElasticNetworkInterface"),
		Details: []ecstypes.KeyValuePair{{Name: aws.String("subnetId"), Value: aws.String("subnet-1")}, {Name: aws.String("privateIPv4Address"), Value: aws.String(ip)}},
	}}}
}

func TestNewTaskTargets(t *testing.T) {
	t.Parallel()
	lb := ecstypes.LoadBalancer{TargetGroupArn: aws.String("tg-a"), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}
	tests := []struct {
		name  string
		tasks []ecstypes.Task
		lbs   []ecstypes.LoadBalancer
		want  map[string][]string // target group -> ip:port
	}{
		{"awsvpc tasks register their IP with the container port", []ecstypes.Task{awsvpcTask("10.0.1.7"), awsvpcTask("10.0.1.8")},
			[]ecstypes.LoadBalancer{lb}, map[string][]string{"tg-a": {"10.0.1.7:8080", "10.0.1.8:8080"}}},
		{"a task without an ENI is left out", []ecstypes.Task{{}, awsvpcTask("10.0.1.9")},
			[]ecstypes.LoadBalancer{lb}, map[string][]string{"tg-a": {"10.0.1.9:8080"}}},
		{"a classic load balancer has no target group", []ecstypes.Task{awsvpcTask("10.0.1.7")},
			[]ecstypes.LoadBalancer{{LoadBalancerName: aws.String("clb")}}, map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := NewTaskTargets(tt.tasks, tt.lbs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d target groups, want %d: %+v", len(got), len(tt.want), got)
			}
			for tg, want := range tt.want {
				if len(got[tg]) != len(want) {
					t.Fatalf("%s: got %d targets, want %v", tg, len(got[tg]), want)
				}
				for i, d := range got[tg] {
					if s := fmt.Sprintf("%s:%d", aws.ToString(d.Id), aws.ToInt32(d.Port)); s != want[i] {
						t.Errorf("%s target %d = %s, want %s", tg, i, s, want[i])
					}
				}
			}
		})
	}
}

// TestDescribeTargetProgress asks the simulator for the new tasks' targets
// only (an old task's draining target is not progress), in one call per
// target group.
func TestDescribeTargetProgress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		health []sim.TargetHealth // of the new tasks' targets 10.0.2.1, 10.0.2.2, ...
		want   string
	}{
		{"all healthy", []sim.TargetHealth{sim.TargetHealthy(), sim.TargetHealthy()}, "2/2 targets healthy"},
		{"one answers 404", []sim.TargetHealth{sim.TargetHealthy(), sim.TargetHealthy(), sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumResponseCodeMismatch, 404)},
			"2/3 targets healthy; 1 Target.ResponseCodeMismatch: health checks failed with these codes: [404]"},
		{"reasons counted apart", []sim.TargetHealth{
			sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumTimeout), sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumTimeout),
			sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumFailedHealthChecks),
		}, "0/3 targets healthy; 2 Target.Timeout: request timed out; 1 Target.FailedHealthChecks: health checks failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sim.New(clock.Real{})
			tg := s.AddTargetGroup(sim.TargetGroupSpec{Name: "web"})
			s.RegisterTarget(tg, "10.0.1.1", 8080, sim.TargetHealthy()) // an old task's
			var tasks []ecstypes.Task
			for i, h := range tt.health {
				ip := fmt.Sprintf("10.0.2.%d", i+1)
				s.RegisterTarget(tg, ip, 8080, h)
				tasks = append(tasks, awsvpcTask(ip))
			}
			targets := NewTaskTargets(tasks, []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerPort: aws.Int32(8080)}})
			got, err := DescribeTargetProgress(context.Background(), s, targets)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Text() != tt.want {
				t.Fatalf("progress = %v, want %q", got, tt.want)
			}
			if n := s.Calls()["DescribeTargetHealth"]; n != 1 {
				t.Errorf("DescribeTargetHealth called %d times, want 1 (batched per target group)", n)
			}
		})
	}
}
