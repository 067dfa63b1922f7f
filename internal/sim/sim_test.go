package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
)

// newSim is a simulator on the real clock. Tests that let time pass build
// it inside a synctest bubble, where time.Sleep moves that clock at once.
func newSim(t *testing.T) *Sim {
	t.Helper()
	return New(clock.Real{})
}

func describe(t *testing.T, s *Sim, service string) ecstypes.Service {
	t.Helper()
	out, err := s.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe %s: %v %+v", service, err, out)
	}
	return out.Services[0]
}

// deployNew registers a revision with image and points the service at it.
func deployNew(t *testing.T, s *Sim, service, image string) string {
	t.Helper()
	ctx := context.Background()
	svc := describe(t, s, service)
	td, err := s.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	defs := append([]ecstypes.ContainerDefinition(nil), td.TaskDefinition.ContainerDefinitions...)
	defs[0].Image = aws.String(image)
	reg, err := s.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: td.TaskDefinition.Family, ContainerDefinitions: defs})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(service), TaskDefinition: reg.TaskDefinition.TaskDefinitionArn})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Service.Deployments[0].Id)
}

func deploymentStates(svc ecstypes.Service) string {
	var parts []string
	for _, d := range svc.Deployments {
		parts = append(parts, fmt.Sprintf("%s:%s:%d/%d:%d", aws.ToString(d.Status), d.RolloutState, d.RunningCount, d.DesiredCount, d.FailedTasks))
	}
	return strings.Join(parts, " ")
}

func TestHealthyRolloutMovesWithTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api", Desired: 2})
		id := deployNew(t, s, "api", "demo/api:v2")
		steps := []struct {
			after time.Duration
			want  string
		}{
			{0, "PRIMARY:IN_PROGRESS:0/2:0 ACTIVE:COMPLETED:2/2:0"},
			{DefaultTaskStart, "PRIMARY:IN_PROGRESS:1/2:0 ACTIVE:COMPLETED:1/1:0"},
			{DefaultTaskStart, "PRIMARY:IN_PROGRESS:2/2:0 ACTIVE:COMPLETED:0/0:0"},
			{DefaultTaskStart, "PRIMARY:COMPLETED:2/2:0"},
		}
		for i, st := range steps {
			time.Sleep(st.after)
			svc := describe(t, s, "api")
			if got := deploymentStates(svc); got != st.want {
				t.Fatalf("step %d: deployments %s, want %s", i, got, st.want)
			}
		}
		svc := describe(t, s, "api")
		if aws.ToString(svc.Deployments[0].Id) != id || !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "/api:2") {
			t.Fatalf("service = %+v", svc)
		}
		if !strings.Contains(aws.ToString(svc.Events[0].Message), "steady state") {
			t.Fatalf("latest event %q", aws.ToString(svc.Events[0].Message))
		}
	})
}

func TestCircuitBreakerRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api", Desired: 2, CircuitBreaker: true, BreakerRollback: true})
		s.Script("prod", "api", CrashLoop(3, "boom"))
		id := deployNew(t, s, "api", "demo/api:v2")
		time.Sleep(3 * DefaultTaskStart) // three failed tasks trip the breaker
		svc := describe(t, s, "api")
		if got := deploymentStates(svc); !strings.HasPrefix(got, "PRIMARY:IN_PROGRESS:0/2:0 ACTIVE:FAILED:0/0:3") {
			t.Fatalf("deployments %s, want ECS's rollback PRIMARY and ours FAILED", got)
		}
		if !strings.HasSuffix(aws.ToString(svc.Deployments[0].TaskDefinition), "/api:1") || aws.ToString(svc.Deployments[1].Id) != id {
			t.Fatalf("rollback deployment = %+v", svc.Deployments[0])
		}
		time.Sleep(time.Minute)
		if got := deploymentStates(describe(t, s, "api")); got != "PRIMARY:COMPLETED:2/2:0" {
			t.Fatalf("after the rollback: %s", got)
		}
	})
}

func TestCrashLoopLeavesStoppedTasksAndLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
		s.Script("prod", "api", CrashLoop(137, "line 1", "line 2", "line 3"))
		id := deployNew(t, s, "api", "demo/api:v2")
		time.Sleep(2 * DefaultTaskStart)
		ctx := context.Background()
		list, err := s.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod"), StartedBy: aws.String(id), DesiredStatus: ecstypes.DesiredStatusStopped})
		if err != nil || len(list.TaskArns) != 2 {
			t.Fatalf("stopped tasks = %v (%v), want 2", list.TaskArns, err)
		}
		tasks, err := s.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: list.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		task := tasks.Tasks[0]
		if aws.ToString(task.StoppedReason) != "Essential container in task exited" || task.StopCode != ecstypes.TaskStopCodeEssentialContainerExited ||
			aws.ToInt32(task.Containers[0].ExitCode) != 137 {
			t.Fatalf("task = %+v", task)
		}
		taskID := aws.ToString(task.TaskArn)[strings.LastIndex(aws.ToString(task.TaskArn), "/")+1:]
		logs, err := s.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/ecs/api"), LogStreamName: aws.String("ecs/app/" + taskID), StartFromHead: aws.Bool(false), Limit: aws.Int32(2),
		})
		if err != nil || len(logs.Events) != 2 || aws.ToString(logs.Events[1].Message) != "line 3" {
			t.Fatalf("last 2 log lines = %+v (%v)", logs, err)
		}
		if _, err := s.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/api"), LogStreamName: aws.String("ecs/app/nope")}); awsx.Classify(err) != awsx.KindNotFound {
			t.Fatalf("missing stream: %v", err)
		}
		running, _ := s.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")})
		if len(running.TaskArns) != 2 {
			t.Fatalf("running tasks = %d, want the old deployment's 2", len(running.TaskArns))
		}
	})
}

func TestScriptedFailures(t *testing.T) {
	tests := []struct {
		name      string
		rollout   Rollout
		wantEvent string
		wantState string
	}{
		{"pull error", PullError(), "has started 1 tasks", "PRIMARY:IN_PROGRESS:0/2:6"},
		{"secrets error", SecretsError("/p"), "has started 1 tasks", "PRIMARY:IN_PROGRESS:0/2:6"},
		{"no capacity", NoCapacity(), "was unable to place a task", "PRIMARY:IN_PROGRESS:0/2:0"},
		{"replaced", ReplacedAfter(3 * time.Second), "has begun a new deployment", "PRIMARY:COMPLETED:2/2:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t)
				s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
				s.Script("prod", "api", tt.rollout)
				id := deployNew(t, s, "api", "demo/api:v2")
				time.Sleep(15 * time.Second)
				svc := describe(t, s, "api")
				if got := deploymentStates(svc); !strings.HasPrefix(got, tt.wantState) {
					t.Fatalf("deployments %s, want %s...", got, tt.wantState)
				}
				var msgs []string
				for _, e := range svc.Events {
					msgs = append(msgs, aws.ToString(e.Message))
				}
				if !strings.Contains(strings.Join(msgs, "\n"), tt.wantEvent) {
					t.Fatalf("events %q lack %q", msgs, tt.wantEvent)
				}
				if tt.name == "replaced" && aws.ToString(svc.Deployments[0].Id) == id {
					t.Fatal("the scripted deployment was not replaced")
				}
			})
		})
	}
}

func TestThrottlingAndCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
		ctx := context.Background()
		in := &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}}
		s.Throttle("DescribeServices", 2)
		for i, wantThrottled := range []bool{true, true, false} {
			_, err := s.DescribeServices(ctx, in)
			if got := awsx.Classify(err) == awsx.KindThrottled; got != wantThrottled {
				t.Fatalf("call %d: err = %v, want throttled %v", i, err, wantThrottled)
			}
		}
		s.ThrottleFor("", time.Second)
		if _, err := s.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}); awsx.Classify(err) != awsx.KindThrottled {
			t.Fatalf("ListTasks during the burst: %v", err)
		}
		time.Sleep(time.Second)
		if _, err := s.DescribeServices(ctx, in); err != nil {
			t.Fatalf("after the burst: %v", err)
		}
		if got := s.Calls(); got["DescribeServices"] != 4 || got["ListTasks"] != 1 {
			t.Fatalf("calls = %v", got)
		}
		var apiErr smithy.APIError
		if _, err := s.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: make([]string, 11)}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterException" {
			t.Fatalf("11 services: %v", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.DescribeServices(cancelled, in); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled context: %v", err)
		}
	})
}

func TestNotFound(t *testing.T) {
	s := newSim(t)
	s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
	ctx := context.Background()
	out, err := s.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"ghost"}})
	if err != nil || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Fatalf("missing service: %+v %v", out, err)
	}
	if _, err := s.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"api"}}); awsx.Code(err) != "ClusterNotFoundException" {
		t.Fatalf("missing cluster: %v", err)
	}
	if _, err := s.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("ghost")}); awsx.Code(err) != "ServiceNotFoundException" {
		t.Fatalf("update missing service: %v", err)
	}
}

func TestUpdateWithoutChangeStartsNothing(t *testing.T) {
	s := newSim(t)
	td := s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
	ctx := context.Background()
	out, err := s.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(td)})
	if err != nil || len(out.Service.Deployments) != 1 || out.Service.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Fatalf("update to the same revision: %v %+v", err, out)
	}
	out, err = s.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), ForceNewDeployment: true})
	if err != nil || len(out.Service.Deployments) != 2 {
		t.Fatalf("forced update: %v %+v", err, out)
	}
}

func TestIdentityForPreflight(t *testing.T) {
	s := newSim(t)
	s.AddParameter("/prod/db")
	s.AddLogGroup("/ecs/api")
	s.DenyAction("ecs:UpdateService")
	ctx := context.Background()
	if id, err := s.GetCallerIdentity(ctx, nil); err != nil || aws.ToString(id.Account) != Account {
		t.Fatalf("identity: %+v %v", id, err)
	}
	params, err := s.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/prod/db", "/prod/missing"}})
	if err != nil || len(params.Parameters) != 1 || aws.ToString(params.Parameters[0].Value) != "" || len(params.InvalidParameters) != 1 {
		t.Fatalf("parameters: %+v %v", params, err)
	}
	sim, err := s.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{ActionNames: []string{"ecs:DescribeServices", "ecs:UpdateService"}})
	if err != nil || sim.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed ||
		sim.EvaluationResults[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("simulation: %+v %v", sim, err)
	}
	groups, err := s.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Fatalf("log groups: %+v %v", groups, err)
	}
}

// TestRealClock runs a short rollout on the wall clock, as the demo does.
func TestRealClock(t *testing.T) {
	s := New(clock.Real{})
	s.AddService(ServiceSpec{Cluster: "prod", Name: "api", Desired: 1})
	s.Script("prod", "api", Rollout{TaskStart: 5 * time.Millisecond})
	deployNew(t, s, "api", "demo/api:v2")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if describe(t, s, "api").Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted {
			return
		}
		timer := time.NewTimer(5 * time.Millisecond)
		<-timer.C
	}
	t.Fatal("the rollout did not complete on the real clock")
}

func TestDemoTags(t *testing.T) {
	s := NewDemo(clock.Real{})
	ctx := context.Background()
	out, err := s.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(DemoCluster), Services: []string{"web", "api", "worker"}})
	if err != nil || len(out.Services) != 3 {
		t.Fatalf("demo services: %+v %v", out, err)
	}
	if r := s.rolloutFor(s.clusters[DemoCluster].services["api"], "", false); r.Outcome != OutcomeHealthy {
		t.Fatalf("default rollout = %+v", r)
	}
	if tagOf("demo/api:"+DemoTagCrash) != DemoTagCrash || s.onTag[DemoTagCrash].Outcome != OutcomeFailTasks {
		t.Fatal("crash tag is not scripted")
	}
}
