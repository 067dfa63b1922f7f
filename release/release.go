// Package release runs a service's one-off tasks around its deploy:
// release tasks (database migrations) after the new revision is
// registered and before the service is updated, and post_deploy tasks
// (smoke tests) after health verification. It starts each task with
// RunTask, streams its containers' awslogs lines as events while it runs,
// waits for it to stop, and reads every essential container's exit code.
// It knows nothing of rendering: it emits events and returns failures.
package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// ECSAPI is the part of ECS the tasks need.
type ECSAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RunTask(ctx context.Context, in *ecs.RunTaskInput, optFns ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, optFns ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// LogsAPI is the part of CloudWatch Logs that follows a task's log stream.
type LogsAPI interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

var (
	_ ECSAPI  = (*ecs.Client)(nil)
	_ LogsAPI = (*cloudwatchlogs.Client)(nil)
)

// Phases: where in a deploy a service's tasks run.
const (
	PhaseRelease    = "release"     // after register, before UpdateService
	PhasePostDeploy = "post_deploy" // after health verification
	PhaseRun        = "run"         // `omdeploy run`: a one-off task on its own
)

// Defaults of Options.
const (
	DefaultPoll        = 5 * time.Second  // between DescribeTasks calls
	DefaultLogPoll     = 2 * time.Second  // between GetLogEvents calls of one stream
	DefaultCallTimeout = 30 * time.Second // one AWS call
	DefaultStopTimeout = 30 * time.Second // StopTask, and the last log reads, after the task's end
	DefaultLogLines    = 20               // last lines kept per container for the diagnosis
)

// Sentinel errors, for errors.Is on a task failure's cause.
var (
	ErrExitNonZero = errors.New("task exited non-zero")
	ErrCannotStart = errors.New("task could not start")
	ErrTimedOut    = errors.New("task timed out")
)

// Options configure Run and RunAll. ECS is required; zero values take the
// documented defaults.
type Options struct {
	ECS    ECSAPI
	Logs   func(region string) LogsAPI // nil: no log lines streamed
	Region string                      // the run's region, for awslogs without a region

	// RunID makes the RunTask idempotency tokens of this run unique and
	// stable: the same task of the same run always sends the same token.
	// Empty: a random ID per call of Run.
	RunID string

	Poll        time.Duration
	LogPoll     time.Duration
	CallTimeout time.Duration
	StopTimeout time.Duration
	LogLines    int

	Clock    clock.Clock    // default clock.Real
	Reporter event.Reporter // default event.Nop
	Logger   *slog.Logger   // default: discards
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Poll, DefaultPoll)
	def(&o.LogPoll, DefaultLogPoll)
	def(&o.CallTimeout, DefaultCallTimeout)
	def(&o.StopTimeout, DefaultStopTimeout)
	if o.LogLines <= 0 {
		o.LogLines = DefaultLogLines
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Reporter == nil {
		o.Reporter = event.Nop{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// NewRunID returns a random ID for Options.RunID.
func NewRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// StageOf is the failure stage of a phase's tasks: a release task (or a
// one-off `omdeploy run`) fails the release stage, which changes nothing
// in the service; a post_deploy task fails like a health check, since the
// new revision is live.
func StageOf(phase string) failure.Stage {
	if phase == PhasePostDeploy {
		return failure.StageHealth
	}
	return failure.StageRelease
}

// RunAll runs the phase's tasks of svc one after another (Release or
// PostDeploy), on taskDef unless a task names its own, and stops at the
// first failure, which it returns as a *failure.Error.
func RunAll(ctx context.Context, opts Options, phase string, svc config.Service, taskDef string) error {
	tasks := svc.Release
	if phase == PhasePostDeploy {
		tasks = svc.PostDeploy
	}
	for _, t := range tasks {
		if _, err := Run(ctx, opts, phase, svc, t, taskDef); err != nil {
			return err
		}
	}
	return nil
}

// Result is how one task ended.
type Result struct {
	TaskARN       string
	StoppedReason string
	StopCode      string
	Containers    []event.StoppedContainer // with exit codes and last log lines
}

// Run runs one task of svc and waits for it to stop. The error is nil
// only when every essential container exited 0; otherwise it is a
// *failure.Error of the phase's stage naming the runbook entry:
// release.exit-nonzero, release.cannot-start or release.timeout, or
// operator.interrupted (wrapping context.Canceled) after the task was
// stopped because ctx was cancelled.
func Run(ctx context.Context, opts Options, phase string, svc config.Service, t config.Task, taskDef string) (Result, error) {
	opts = opts.withDefaults()
	if opts.ECS == nil {
		return Result{}, errors.New("release: no ECS client")
	}
	if svc.Name == "" {
		svc.Name = svc.Service
	}
	if t.Timeout <= 0 {
		t.Timeout = config.DefaultTaskTimeout
	}
	if t.TaskDefinition != "" {
		taskDef = t.TaskDefinition
	}
	r := &taskRun{opts: opts, phase: phase, svc: svc, task: t, taskDef: taskDef}
	return r.run(ctx)
}

func (r *taskRun) String() string {
	return fmt.Sprintf("%s task %s of %s", r.phase, r.task.Name, r.svc.Name)
}
