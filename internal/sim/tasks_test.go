package sim

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// runTaskInput is a RunTask of service's current revision with the
// service's network, as omdeploy sends it.
func runTaskInput(t *testing.T, s *Sim, service, token string) *ecs.RunTaskInput {
	t.Helper()
	svc := describe(t, s, service)
	return &ecs.RunTaskInput{
		Cluster: aws.String("prod"), TaskDefinition: svc.TaskDefinition, ClientToken: aws.String(token),
		NetworkConfiguration: svc.NetworkConfiguration, LaunchType: ecstypes.LaunchTypeFargate,
	}
}

func describeTask(t *testing.T, s *Sim, arn string) ecstypes.Task {
	t.Helper()
	out, err := s.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("describe task %s: %v %+v", arn, err, out)
	}
	return out.Tasks[0]
}

func TestRunTask(t *testing.T) {
	tests := []struct {
		name         string
		script       TaskScript
		wait         time.Duration
		stop         bool
		wantStatus   string
		wantCode     *int32 // of the essential container
		wantStopCode ecstypes.TaskStopCode
	}{
		{"runs", TaskScript{Duration: time.Minute}, 30 * time.Second, false, "RUNNING", nil, ""},
		{"exits as scripted", TaskScript{ExitCode: 3, Duration: time.Minute}, 2 * time.Minute, false, "STOPPED", aws.Int32(3), ecstypes.TaskStopCodeEssentialContainerExited},
		{"cannot start", TaskScript{StartFailure: "CannotPullContainerError: not found"}, 5 * time.Second, false, "STOPPED", nil, ecstypes.TaskStopCodeTaskFailedToStart},
		{"stopped", TaskScript{Forever: true}, 30 * time.Second, true, "STOPPED", aws.Int32(143), ecstypes.TaskStopCodeUserInitiated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t)
				s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
				s.ScriptTasks(tt.script)
				out, err := s.RunTask(context.Background(), runTaskInput(t, s, "api", "tok"))
				if err != nil || len(out.Tasks) != 1 {
					t.Fatalf("RunTask: %v %+v", err, out)
				}
				arn := aws.ToString(out.Tasks[0].TaskArn)
				time.Sleep(tt.wait)
				if tt.stop {
					if _, err := s.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(arn)}); err != nil {
						t.Fatal(err)
					}
				}
				got := describeTask(t, s, arn)
				if aws.ToString(got.LastStatus) != tt.wantStatus || got.StopCode != tt.wantStopCode {
					t.Fatalf("status %s stop code %q, want %s %q", aws.ToString(got.LastStatus), got.StopCode, tt.wantStatus, tt.wantStopCode)
				}
				if c := got.Containers[0].ExitCode; (c == nil) != (tt.wantCode == nil) || (c != nil && *c != *tt.wantCode) {
					t.Fatalf("exit code %v, want %v", c, tt.wantCode)
				}
			})
		})
	}
}

func TestRunTaskRefusals(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*ecs.RunTaskInput)
		script     TaskScript
		wantCode   string // API error code; "" for a failures[] answer
		wantReason string
	}{
		{"awsvpc without network", func(in *ecs.RunTaskInput) { in.NetworkConfiguration = nil }, TaskScript{}, "InvalidParameterException", ""},
		{"launch type and capacity provider", func(in *ecs.RunTaskInput) {
			in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT")}}
		}, TaskScript{}, "InvalidParameterException", ""},
		{"unknown container override", func(in *ecs.RunTaskInput) {
			in.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String("nope")}}}
		}, TaskScript{}, "InvalidParameterException", ""},
		{"no capacity", func(*ecs.RunTaskInput) {}, TaskScript{RunFailure: "RESOURCE:MEMORY"}, "", "RESOURCE:MEMORY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t)
			s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
			s.ScriptTasks(tt.script)
			in := runTaskInput(t, s, "api", "tok")
			tt.edit(in)
			out, err := s.RunTask(context.Background(), in)
			if got := awsx.Code(err); got != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if tt.wantReason != "" && (len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != tt.wantReason) {
				t.Fatalf("answer %+v, want no task and failure %s", out, tt.wantReason)
			}
		})
	}
}

// TestRunTaskClientToken: a second RunTask with the same token answers
// with the first task and starts nothing.
func TestRunTaskClientToken(t *testing.T) {
	s := newSim(t)
	s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
	first, err := s.RunTask(context.Background(), runTaskInput(t, s, "api", "tok-a"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.RunTask(context.Background(), runTaskInput(t, s, "api", "tok-a"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.RunTask(context.Background(), runTaskInput(t, s, "api", "tok-b"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := aws.ToString(first.Tasks[0].TaskArn), aws.ToString(again.Tasks[0].TaskArn); a != b {
		t.Errorf("same token started %s and %s", a, b)
	}
	if aws.ToString(other.Tasks[0].TaskArn) == aws.ToString(first.Tasks[0].TaskArn) {
		t.Error("another token answered with the first task")
	}
}

// TestRunTaskLogsFollowTime: a running task's lines appear as it writes
// them, and the forward token comes back unchanged at the stream's end.
func TestRunTaskLogsFollowTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
		s.ScriptTasks(TaskScript{Duration: 41 * time.Second, Logs: []string{"a", "b", "c", "d"}})
		out, err := s.RunTask(context.Background(), runTaskInput(t, s, "api", "tok"))
		if err != nil {
			t.Fatal(err)
		}
		stream := "ecs/app/" + taskID(&out.Tasks[0])
		read := func(token *string) (*cloudwatchlogs.GetLogEventsOutput, []string) {
			t.Helper()
			o, err := s.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String("/ecs/api"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true), NextToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, e := range o.Events {
				msgs = append(msgs, aws.ToString(e.Message))
			}
			return o, msgs
		}
		time.Sleep(12 * time.Second) // a at 1s, b at 11s
		o1, got := read(nil)
		if len(got) != 2 || got[0] != "a" || got[1] != "b" {
			t.Fatalf("after 12s: %q, want [a b]", got)
		}
		o2, got := read(o1.NextForwardToken)
		if len(got) != 0 || aws.ToString(o2.NextForwardToken) != aws.ToString(o1.NextForwardToken) {
			t.Fatalf("at the end: %q, token %s -> %s; want nothing and the same token", got, aws.ToString(o1.NextForwardToken), aws.ToString(o2.NextForwardToken))
		}
		time.Sleep(time.Minute)
		if _, got := read(o2.NextForwardToken); len(got) != 2 || got[0] != "c" || got[1] != "d" {
			t.Fatalf("after the task: %q, want [c d]", got)
		}
	})
}
