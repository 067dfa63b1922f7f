package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// DefaultTaskRun is how long a task RunTask starts runs when its script
// does not say.
const DefaultTaskRun = 10 * time.Second

// taskStartDelay is how long a started task provisions before its
// containers run (or before it fails to start).
const taskStartDelay = time.Second

// TaskScript says how the next task RunTask starts behaves: a one-off
// task such as a migration.
type TaskScript struct {
	// ExitCode is the essential containers' exit code; other containers
	// exit 0.
	ExitCode int32
	// Duration is from RunTask to the task's stop; default DefaultTaskRun.
	// Forever makes it run until StopTask.
	Duration time.Duration
	Forever  bool
	// Logs are the lines the overridden container (else the first
	// essential one) writes, spread over the task's run.
	Logs []string
	// StartFailure stops the task before its containers start, with this
	// stop reason (e.g. "CannotPullContainerError: ...").
	StartFailure string
	// RunFailure makes RunTask answer with this failures[] reason (e.g.
	// "RESOURCE:MEMORY") and start nothing.
	RunFailure string
}

// runTask is a task RunTask started, and how it goes on.
type runTask struct {
	task            *ecstypes.Task
	script          TaskScript
	startAt, stopAt time.Time // stopAt zero: runs until stopped
	essential       map[int]bool
	group, stream   string // the log stream its script writes
	done            bool
}

// ScriptTasks queues how the next tasks RunTask starts behave, one entry
// per task; without entries a task runs DefaultTaskRun and exits 0.
func (s *Sim) ScriptTasks(scripts ...TaskScript) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taskScripts = append(s.taskScripts, scripts...)
}

// RunTaskInputs returns the inputs of every RunTask call, in order, so a
// test can see what omdeploy asked for.
func (s *Sim) RunTaskInputs() []ecs.RunTaskInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.runInputs)
}

// RunTask starts one task of a task definition, as ECS does: awsvpc needs
// a network configuration, a launch type excludes a capacity provider
// strategy, an override must name a container of the definition, and a
// clientToken seen before answers with the task it started.
func (s *Sim) RunTask(ctx context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "RunTask"); err != nil {
		return nil, err
	}
	s.runInputs = append(s.runInputs, *in)
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	td, ok := s.lookupTaskDef(aws.ToString(in.TaskDefinition))
	if !ok || td.td.Status != ecstypes.TaskDefinitionStatusActive {
		return nil, apiError("ClientException", "TaskDefinition not found.")
	}
	if tok := aws.ToString(in.ClientToken); tok != "" {
		if rt, seen := s.tokens[tok]; seen {
			return &ecs.RunTaskOutput{Tasks: []ecstypes.Task{copyTask(rt.task)}}, nil
		}
	}
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return nil, apiError("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	if td.td.NetworkMode == ecstypes.NetworkModeAwsvpc &&
		(in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil || len(in.NetworkConfiguration.AwsvpcConfiguration.Subnets) == 0) {
		return nil, apiError("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	target := -1
	if in.Overrides != nil {
		for _, o := range in.Overrides.ContainerOverrides {
			i := slices.IndexFunc(td.td.ContainerDefinitions, func(d ecstypes.ContainerDefinition) bool { return aws.ToString(d.Name) == aws.ToString(o.Name) })
			if i < 0 {
				return nil, apiError("InvalidParameterException", fmt.Sprintf("Override for container named %s is not a container in the TaskDefinition.", aws.ToString(o.Name)))
			}
			target = i
		}
	}
	script := TaskScript{}
	if len(s.taskScripts) > 0 {
		script, s.taskScripts = s.taskScripts[0], s.taskScripts[1:]
	}
	if script.RunFailure != "" {
		return &ecs.RunTaskOutput{Failures: []ecstypes.Failure{{Arn: aws.String(c.arn), Reason: aws.String(script.RunFailure)}}}, nil
	}
	now := s.clk.Now()
	id := fmt.Sprintf("%032x", s.nextID())
	t := &ecstypes.Task{
		TaskArn: aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", Region, Account, c.name, id)), ClusterArn: aws.String(c.arn),
		TaskDefinitionArn: td.td.TaskDefinitionArn, StartedBy: in.StartedBy, Group: aws.String("family:" + aws.ToString(td.td.Family)),
		LaunchType: in.LaunchType, CapacityProviderName: capacityProvider(in), Overrides: in.Overrides, CreatedAt: aws.Time(now),
		LastStatus: aws.String("PROVISIONING"), DesiredStatus: aws.String("RUNNING"),
	}
	rt := &runTask{task: t, script: script, startAt: now.Add(taskStartDelay), essential: map[int]bool{}}
	if !script.Forever {
		d := script.Duration
		if d <= 0 {
			d = DefaultTaskRun
		}
		rt.stopAt = now.Add(max(d, taskStartDelay))
	}
	for i, def := range td.td.ContainerDefinitions {
		t.Containers = append(t.Containers, ecstypes.Container{Name: def.Name, Image: def.Image, TaskArn: t.TaskArn, LastStatus: aws.String("PENDING"),
			ImageDigest: optional(s.pulledDigest(aws.ToString(def.Image)))})
		if aws.ToBool(def.Essential) {
			rt.essential[i] = true
			if target < 0 {
				target = i
			}
		}
	}
	if target >= 0 && script.StartFailure == "" {
		s.scriptLogs(rt, td.td.ContainerDefinitions[target], id)
	}
	c.tasks = append(c.tasks, t)
	s.runTasks = append(s.runTasks, rt)
	if tok := aws.ToString(in.ClientToken); tok != "" {
		s.tokens[tok] = rt
	}
	return &ecs.RunTaskOutput{Tasks: []ecstypes.Task{copyTask(t)}}, nil
}

// scriptLogs writes the script's lines to the container's awslogs stream
// with the times they are written at, spread over the run; GetLogEvents
// shows each line once its time has come.
func (s *Sim) scriptLogs(rt *runTask, def ecstypes.ContainerDefinition, taskID string) {
	lc := def.LogConfiguration
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || len(rt.script.Logs) == 0 {
		return
	}
	streams := s.logGroups[lc.Options["awslogs-group"]]
	if streams == nil {
		return
	}
	rt.group, rt.stream = lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]+"/"+aws.ToString(def.Name)+"/"+taskID
	span := DefaultTaskRun
	if !rt.stopAt.IsZero() {
		span = rt.stopAt.Sub(rt.startAt)
	}
	n := len(rt.script.Logs)
	for i, l := range rt.script.Logs {
		at := rt.startAt.Add(span * time.Duration(i) / time.Duration(n))
		streams[rt.stream] = append(streams[rt.stream], logLine{at: at, msg: l, from: at})
	}
}

// StopTask stops a task at once: its running containers exit 143
// (SIGTERM), as most processes do when ECS stops them.
func (s *Sim) StopTask(ctx context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "StopTask"); err != nil {
		return nil, err
	}
	if _, err := s.cluster(in.Cluster); err != nil {
		return nil, err
	}
	s.advance()
	want := aws.ToString(in.Task)
	for _, rt := range s.runTasks {
		arn := aws.ToString(rt.task.TaskArn)
		if arn != want && lastSegment(arn) != want {
			continue
		}
		if !rt.done {
			reason := aws.ToString(in.Reason)
			if reason == "" {
				reason = "Task stopped by user"
			}
			s.stopRunTask(rt, s.clk.Now(), ecstypes.TaskStopCodeUserInitiated, reason, 143)
		}
		return &ecs.StopTaskOutput{Task: ptr(copyTask(rt.task))}, nil
	}
	return nil, apiError("InvalidParameterException", "The referenced task was not found.")
}

// advanceRunTasks moves the tasks RunTask started to now. s.mu is held.
func (s *Sim) advanceRunTasks(now time.Time) {
	for _, rt := range s.runTasks {
		switch {
		case rt.done || now.Before(rt.startAt):
		case rt.script.StartFailure != "":
			s.stopRunTask(rt, rt.startAt, ecstypes.TaskStopCodeTaskFailedToStart, rt.script.StartFailure, -1)
		case !rt.stopAt.IsZero() && !now.Before(rt.stopAt):
			s.startRunTask(rt)
			s.stopRunTask(rt, rt.stopAt, ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited", rt.script.ExitCode)
		default:
			s.startRunTask(rt)
		}
	}
}

func (s *Sim) startRunTask(rt *runTask) {
	if rt.task.StartedAt != nil {
		return
	}
	rt.task.LastStatus, rt.task.StartedAt = aws.String("RUNNING"), aws.Time(rt.startAt)
	for i := range rt.task.Containers {
		rt.task.Containers[i].LastStatus = aws.String("RUNNING")
	}
}

// stopRunTask stops rt at `at`; essential containers that ran exit with
// code (others 0), and those that never ran have no exit code (code < 0
// means none ran). Lines scripted after `at` are never written.
func (s *Sim) stopRunTask(rt *runTask, at time.Time, stopCode ecstypes.TaskStopCode, reason string, code int32) {
	t := rt.task
	rt.done = true
	t.LastStatus, t.DesiredStatus, t.StoppedAt, t.StopCode, t.StoppedReason = aws.String("STOPPED"), aws.String("STOPPED"), aws.Time(at), stopCode, aws.String(reason)
	ran := t.StartedAt != nil && code >= 0
	for i := range t.Containers {
		t.Containers[i].LastStatus = aws.String("STOPPED")
		switch {
		case !ran:
		case rt.essential[i]:
			t.Containers[i].ExitCode = aws.Int32(code)
		default:
			t.Containers[i].ExitCode = aws.Int32(0)
		}
	}
	if streams := s.logGroups[rt.group]; streams != nil {
		streams[rt.stream] = slices.DeleteFunc(streams[rt.stream], func(l logLine) bool { return l.from.After(at) })
	}
}

func capacityProvider(in *ecs.RunTaskInput) *string {
	if len(in.CapacityProviderStrategy) == 0 {
		return nil
	}
	return in.CapacityProviderStrategy[0].CapacityProvider
}

func copyTask(t *ecstypes.Task) ecstypes.Task {
	cp := *t
	cp.Containers = slices.Clone(t.Containers)
	return cp
}
