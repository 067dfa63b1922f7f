package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// maxStartedBy is the length of RunTask's startedBy that omdeploy keeps to.
const maxStartedBy = 36

// taskRun is one task's run: what it was started with and what it did.
type taskRun struct {
	opts    Options
	phase   string
	svc     config.Service
	task    config.Task
	taskDef string

	td      ecstypes.TaskDefinition
	arn     string
	started time.Time
	logs    []*follower
}

// StartedBy names a run's task in ECS (`aws ecs list-tasks --started-by`):
// "omdeploy/SERVICE/TASK", shortened with a hash to 36 characters.
func StartedBy(service, task string) string {
	s := "omdeploy/" + service + "/" + task
	if len(s) <= maxStartedBy {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return s[:maxStartedBy-9] + "-" + hex.EncodeToString(sum[:4])
}

// ClientToken is RunTask's idempotency token for one task of one run: the
// same for every attempt of that call (the SDK's retries after a dropped
// connection send the same input), so ECS starts the task once; different
// for another run, so a new deploy runs its migration again.
func ClientToken(runID, phase, service, task string) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + phase + "\x00" + service + "\x00" + task))
	return "omdeploy-" + hex.EncodeToString(sum[:20])
}

func (r *taskRun) run(ctx context.Context) (Result, error) {
	in, err := r.input(ctx)
	if err != nil {
		return Result{}, err
	}
	r.started = r.opts.Clock.Now()
	cctx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	out, err := r.opts.ECS.RunTask(cctx, in)
	cancel()
	switch {
	case errors.Is(err, context.Canceled):
		return Result{}, r.fail(runbook.Interrupted, r.unknownFix(), fmt.Errorf(
			"interrupted while starting %s; if ECS started it, it runs on: %w", r, err))
	case err != nil && awsx.Code(err) == "":
		// No answer (a dropped connection after the SDK's retries, a
		// deadline): ECS may have started the task.
		return Result{}, r.fail(runbook.ReleaseCannotStart, r.unknownFix(), fmt.Errorf(
			"%w: RunTask for %s got no answer (%w); it may have started", ErrCannotStart, r, err))
	case err != nil:
		return Result{}, r.fail(runbook.ReleaseCannotStart, "", fmt.Errorf("%w: RunTask refused %s: %w", ErrCannotStart, r, err))
	case len(out.Failures) > 0 || len(out.Tasks) == 0:
		return Result{}, r.fail(runbook.ReleaseCannotStart, "", fmt.Errorf("%w: RunTask could not start %s: %s", ErrCannotStart, r, failures(out.Failures)))
	}
	task := out.Tasks[0]
	r.arn = aws.ToString(task.TaskArn)
	r.opts.Logger.Info("task started", "service", r.svc.Name, "task", r.task.Name, "task_arn", r.arn)
	r.opts.Reporter.Report(event.TaskStarted{
		Service: r.svc.Name, Task: r.task.Name, Phase: r.phase, TaskARN: r.arn, TaskDefinition: aws.ToString(task.TaskDefinitionArn),
	})

	lctx, stopLogs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLogs()
	stopped := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range r.followers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.follow(lctx, stopped)
		}()
	}
	// drain lets the followers read the lines written up to the task's
	// end, within StopTimeout; interrupted, they stop at once.
	drain := func(interrupted bool) {
		close(stopped)
		if interrupted {
			stopLogs()
		} else {
			t := r.opts.Clock.NewTimer(r.opts.StopTimeout)
			defer t.Stop()
			go func() {
				select {
				case <-t.C():
					stopLogs()
				case <-lctx.Done():
				}
			}()
		}
		wg.Wait()
		stopLogs()
	}

	final, werr := r.wait(ctx)
	switch {
	case errors.Is(werr, context.Canceled):
		stopErr := r.stop(ctx, "omdeploy was interrupted")
		drain(true)
		res := r.result(final)
		r.finished(res, false, nil, "interrupted: stopped by omdeploy")
		return res, r.interrupted(ctx, stopErr)
	case werr != nil:
		// The task's timeout, or the run's own (--timeout): either way
		// the task must not run on unwatched.
		limit := "within " + r.task.Timeout.String()
		if !errors.Is(werr, ErrTimedOut) {
			limit = "before the run's --timeout"
		}
		stopErr := r.stop(ctx, fmt.Sprintf("omdeploy: %s did not stop %s", r, limit))
		drain(false)
		res := r.result(final)
		msg := fmt.Errorf("%w: %s did not stop %s; omdeploy stopped it (StopTask)", ErrTimedOut, r, limit)
		if stopErr != nil {
			msg = fmt.Errorf("%w: %s did not stop %s, and StopTask failed: %w; stop it: aws ecs stop-task --cluster %s --task %s",
				ErrTimedOut, r, limit, stopErr, r.svc.Cluster, taskID(r.arn))
		}
		r.finished(res, false, nil, "did not stop "+limit)
		r.diagnose(res, "did not stop "+limit)
		return res, r.fail(runbook.ReleaseTimeout, "", msg)
	}
	drain(false)
	res := r.result(final)
	return res, r.verdict(res)
}

// input builds RunTask's input: the task definition's container to
// override, placement and network from the config or else the service.
func (r *taskRun) input(ctx context.Context) (*ecs.RunTaskInput, error) {
	tdOut, err := call(ctx, r.opts.CallTimeout, func(ctx context.Context) (*ecs.DescribeTaskDefinitionOutput, error) {
		return r.opts.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(r.taskDef)})
	})
	if err != nil {
		return nil, r.fail(r.idFor(err), "", fmt.Errorf("describe task definition %s for %s: %w", r.taskDef, r, err))
	}
	r.td = *tdOut.TaskDefinition
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(r.svc.Cluster),
		TaskDefinition: r.td.TaskDefinitionArn,
		Count:          aws.Int32(1),
		StartedBy:      aws.String(StartedBy(r.svc.Name, r.task.Name)),
		ClientToken:    aws.String(ClientToken(r.opts.RunID, r.phase, r.svc.Name, r.task.Name)),
	}
	if r.task.Command != nil || r.task.Environment != nil {
		name, err := r.container()
		if err != nil {
			return nil, failure.New(failure.StageConfig, r.svc.Name, runbook.ConfigInvalid, err)
		}
		o := ecstypes.ContainerOverride{Name: aws.String(name), Command: r.task.Command}
		for _, v := range r.task.Environment {
			o.Environment = append(o.Environment, ecstypes.KeyValuePair{Name: aws.String(v.Name), Value: aws.String(v.Value)})
		}
		in.Overrides = &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{o}}
	}
	switch {
	case r.task.LaunchType != "":
		in.LaunchType = ecstypes.LaunchType(r.task.LaunchType)
	case r.task.CapacityProvider != "":
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(r.task.CapacityProvider), Weight: 1}}
	}
	if n := r.task.Network; n != nil {
		ip := ecstypes.AssignPublicIpDisabled
		if n.AssignPublicIP {
			ip = ecstypes.AssignPublicIpEnabled
		}
		in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: n.Subnets, SecurityGroups: n.SecurityGroups, AssignPublicIp: ip,
		}}
	}
	if (in.LaunchType == "" && in.CapacityProviderStrategy == nil) || in.NetworkConfiguration == nil {
		if err := r.fromService(ctx, in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// fromService fills what the config leaves out from the service: the
// same launch type or capacity providers, and the same awsvpc network, so
// a migration reaches the database the service reaches.
func (r *taskRun) fromService(ctx context.Context, in *ecs.RunTaskInput) error {
	out, err := call(ctx, r.opts.CallTimeout, func(ctx context.Context) (*ecs.DescribeServicesOutput, error) {
		return r.opts.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(r.svc.Cluster), Services: []string{r.svc.Service}})
	})
	if err == nil && len(out.Services) == 0 {
		err = fmt.Errorf("service %s not found in cluster %s", r.svc.Service, r.svc.Cluster)
	}
	if err != nil {
		return r.fail(r.idFor(err), "", fmt.Errorf("describe service %s for %s: %w", r.svc.Service, r, err))
	}
	s := out.Services[0]
	if in.LaunchType == "" && in.CapacityProviderStrategy == nil {
		if len(s.CapacityProviderStrategy) > 0 {
			in.CapacityProviderStrategy = s.CapacityProviderStrategy
		} else {
			in.LaunchType = s.LaunchType
			if s.LaunchType == ecstypes.LaunchTypeFargate {
				in.PlatformVersion = s.PlatformVersion
			}
		}
	}
	if in.NetworkConfiguration == nil {
		in.NetworkConfiguration = s.NetworkConfiguration
	}
	return nil
}

// container is the one the command and environment override: the task's,
// the service's, else the task definition's only container.
func (r *taskRun) container() (string, error) {
	for _, name := range []string{r.task.Container, r.svc.Container} {
		if name == "" {
			continue
		}
		for _, c := range r.td.ContainerDefinitions {
			if aws.ToString(c.Name) == name {
				return name, nil
			}
		}
		return "", fmt.Errorf("%s (config line %d): container %q is not in %s; containers: %s",
			r, r.task.Line, name, aws.ToString(r.td.TaskDefinitionArn), containerNames(r.td))
	}
	if len(r.td.ContainerDefinitions) != 1 {
		return "", fmt.Errorf("%s (config line %d): %s has %d containers (%s); set the task's or the service's `container:`",
			r, r.task.Line, aws.ToString(r.td.TaskDefinitionArn), len(r.td.ContainerDefinitions), containerNames(r.td))
	}
	return aws.ToString(r.td.ContainerDefinitions[0].Name), nil
}

// wait polls DescribeTasks until the task stops, the task's timeout
// passes (ErrTimedOut) or ctx ends. It returns the task as last seen.
func (r *taskRun) wait(ctx context.Context) (ecstypes.Task, error) {
	deadline := r.opts.Clock.NewTimer(r.task.Timeout - r.opts.Clock.Now().Sub(r.started))
	defer deadline.Stop()
	var last ecstypes.Task
	var pollErr error
	for {
		poll := r.opts.Clock.NewTimer(r.opts.Poll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return last, ctx.Err()
		case <-deadline.C():
			poll.Stop()
			if pollErr != nil {
				return last, fmt.Errorf("%w (the last polls failed: %v)", ErrTimedOut, pollErr)
			}
			return last, ErrTimedOut
		case <-poll.C():
		}
		out, err := call(ctx, r.opts.CallTimeout, func(ctx context.Context) (*ecs.DescribeTasksOutput, error) {
			return r.opts.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(r.svc.Cluster), Tasks: []string{r.arn}})
		})
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return last, ctx.Err()
		case err != nil:
			// A throttled or failed poll is retried at the next tick;
			// the task's timeout bounds how long.
			pollErr = err
			r.opts.Logger.Warn("describe task failed", "task_arn", r.arn, "error", err)
			continue
		case len(out.Tasks) == 0:
			pollErr = fmt.Errorf("DescribeTasks does not know task %s: %s", r.arn, failures(out.Failures))
			continue
		}
		last, pollErr = out.Tasks[0], nil
		if aws.ToString(last.LastStatus) == "STOPPED" {
			return last, nil
		}
	}
}

// stop asks ECS to stop the task, with a context of its own: ctx may be
// the one an interrupt just cancelled, and the task must not run on.
func (r *taskRun) stop(ctx context.Context, reason string) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.StopTimeout)
	defer cancel()
	_, err := r.opts.ECS.StopTask(sctx, &ecs.StopTaskInput{Cluster: aws.String(r.svc.Cluster), Task: aws.String(r.arn), Reason: aws.String(reason)})
	if err != nil {
		r.opts.Logger.Error("stop task failed", "task_arn", r.arn, "error", err)
	}
	return err
}

// interrupted is the failure of a run cancelled while its task ran.
func (r *taskRun) interrupted(ctx context.Context, stopErr error) error {
	what := "the service was not updated"
	switch r.phase {
	case PhasePostDeploy:
		what = "the service was not rolled back"
	case PhaseRun:
		what = "the service was not touched"
	}
	if stopErr != nil {
		return r.fail(runbook.Interrupted, r.unknownFix(), fmt.Errorf(
			"interrupted: %s (task %s) could not be stopped (%v) and may still run; %s: %w", r, taskID(r.arn), stopErr, what, ctx.Err()))
	}
	fix := fmt.Sprintf("Nothing runs on: the task was stopped and %s. If it had begun changing data (a migration), check what it did before deploying again.", what)
	return r.fail(runbook.Interrupted, fix, fmt.Errorf("interrupted: %s (task %s) was stopped (StopTask); %s: %w", r, taskID(r.arn), what, ctx.Err()))
}

// unknownFix says how to find a task whose start omdeploy could not see.
func (r *taskRun) unknownFix() string {
	return fmt.Sprintf("Look for the task and stop it if it runs: `aws ecs list-tasks --cluster %s --started-by %s`, then `aws ecs stop-task --cluster %s --task <id>`.",
		r.svc.Cluster, StartedBy(r.svc.Name, r.task.Name), r.svc.Cluster)
}

// fail builds the task's failure of the phase's stage; fix replaces the
// runbook's when not empty.
func (r *taskRun) fail(runbookID, fix string, err error) error {
	if fix == "" {
		fix = runbook.Fix(runbookID, r.vars())
	}
	return &failure.Error{Stage: StageOf(r.phase), Service: r.svc.Name, RunbookID: runbookID, RequestID: awsx.RequestID(err), Fix: fix, Err: err}
}

// idFor is the runbook entry of a failed describe call: a missing task
// definition or service cannot start a task.
func (r *taskRun) idFor(err error) string {
	if awsx.Code(err) != "" {
		return runbook.ReleaseCannotStart
	}
	return ""
}

// vars fill the release entries' {placeholders}.
func (r *taskRun) vars() map[string]string {
	logs := "the task's CloudWatch log stream"
	if len(r.logs) > 0 {
		logs = r.logs[0].group + " (stream " + r.logs[0].stream + ")"
	}
	return map[string]string{
		"service": r.svc.Service, "cluster": r.svc.Cluster, "region": r.opts.Region, "phase": r.phase,
		"task": r.task.Name, "task_id": taskID(r.arn), "taskdef": r.taskDef, "timeout": r.task.Timeout.String(), "logs": logs,
	}
}

// call runs one AWS call with its own deadline.
func call[T any](ctx context.Context, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return f(ctx)
}

func failures(fs []ecstypes.Failure) string {
	if len(fs) == 0 {
		return "no task and no reason in the answer"
	}
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		s := aws.ToString(f.Reason)
		if d := aws.ToString(f.Detail); d != "" {
			s += " (" + d + ")"
		}
		if a := aws.ToString(f.Arn); a != "" {
			s += " for " + a
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func containerNames(td ecstypes.TaskDefinition) string {
	names := make([]string, 0, len(td.ContainerDefinitions))
	for _, c := range td.ContainerDefinitions {
		names = append(names, aws.ToString(c.Name))
	}
	return strings.Join(names, ", ")
}

func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
