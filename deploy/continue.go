package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// The values of Options.WaitUntil besides a lifecycle stage.
const (
	// WaitUntilCompleted follows the deployment to its end; the default,
	// the same as "".
	WaitUntilCompleted = "completed"
	// WaitUntilPaused stops following at the first lifecycle hook waiting
	// for an action (a PAUSE hook: `omdeploy continue` releases it).
	WaitUntilPaused = "paused"
	// waitUntilHook is the name WaitUntilPaused had first; still accepted.
	waitUntilHook = "hook"
)

// lifecycleOrder is the order of a service deployment's lifecycle stages,
// so that "at or past" a stage is known even when a poll missed the stage
// itself (a linear deployment returns from PRODUCTION_TRAFFIC_SHIFT to
// PRE_PRODUCTION_TRAFFIC_SHIFT, which is still past the stages before).
var lifecycleOrder = []string{
	"RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
	"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP",
}

// WaitUntilValues lists what Options.WaitUntil accepts, for usage text.
func WaitUntilValues() []string {
	return append([]string{WaitUntilCompleted, WaitUntilPaused}, lifecycleOrder...)
}

// canonicalWaitUntil maps the accepted spellings of Options.WaitUntil to
// the one the engine compares: "" for completed, WaitUntilPaused for hook.
func canonicalWaitUntil(s string) string {
	switch s {
	case WaitUntilCompleted:
		return ""
	case waitUntilHook:
		return WaitUntilPaused
	}
	return s
}

func validWaitUntil(s string) bool {
	return s == "" || s == WaitUntilPaused || slices.Contains(lifecycleOrder, s)
}

// ErrNothingToContinue is the cause of Continue's failure when the
// service's deployment waits on no lifecycle hook.
var ErrNothingToContinue = errors.New("nothing to continue")

// ServiceDeploymentContinuer releases a lifecycle hook a service deployment
// waits on; *ecs.Client is the real one.
type ServiceDeploymentContinuer interface {
	ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
}

var _ ServiceDeploymentContinuer = (*ecs.Client)(nil)

// reachedWaitUntil says whether the service deployment, still in progress,
// is where Options.WaitUntil asks the run to stop following it. After
// Continue released a hook, that hook and the stages up to its own do not
// count: the run goes on to the next gate.
func (sr *serviceRun) reachedWaitUntil(sd ecstypes.ServiceDeployment) bool {
	want := sr.r.opts.WaitUntil
	if want == "" || sd.Status != ecstypes.ServiceDeploymentStatusInProgress {
		return false
	}
	if want == WaitUntilPaused {
		h := waitingHook(sd)
		return h != "" && h != sr.sd.releasedHook
	}
	at, goal := slices.Index(lifecycleOrder, string(sd.LifecycleStage)), slices.Index(lifecycleOrder, want)
	return at >= 0 && at >= goal && (sr.sd.releasedHook == "" || at > sr.sd.releasedAt)
}

// waitingHook is the ID of the lifecycle hook sd waits on, or "".
func waitingHook(sd ecstypes.ServiceDeployment) string {
	for _, h := range sd.LifecycleHookDetails {
		if h.Status == ecstypes.DeploymentLifecycleHookStatusAwaitingAction {
			return aws.ToString(h.HookId)
		}
	}
	return ""
}

// stoppedWaiting ends the run of a service whose deployment reached
// WaitUntil: a success, with ECS carrying on and the way to go on named.
func (sr *serviceRun) stoppedWaiting(sd ecstypes.ServiceDeployment) error {
	next := "`omdeploy wait` follows it to its end"
	if h := waitingHook(sd); h != "" {
		next = fmt.Sprintf("lifecycle hook %s waits: `omdeploy continue --service %s` releases it and follows the rest", h, sr.s.Name)
	}
	sr.warn("stopped following service deployment %s at %s as asked (--wait-until %s); ECS carries on with it, and health was not verified; %s",
		aws.ToString(sd.ServiceDeploymentArn), sd.LifecycleStage, sr.r.opts.WaitUntil, next)
	return nil
}

// Continue releases the lifecycle hook each service's current service
// deployment waits on (ContinueServiceDeployment with CONTINUE, or with
// ROLLBACK when ContinueRollback), then follows it with Deploy's rules: to
// its end, or to WaitUntil.
func Continue(ctx context.Context, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if err := opts.validate(false); err != nil {
		return Result{}, err
	}
	services, err := newRun(opts).each(ctx, failure.StageRollout, (*serviceRun).continueHook)
	return Result{Services: services}, err
}

// continueHook is Continue for one service.
func (sr *serviceRun) continueHook(ctx context.Context) error {
	sr.stage(failure.StageRollout)
	api, ok := sr.r.opts.ECS.(ServiceDeploymentAPI)
	_, ok2 := sr.r.opts.ECS.(ServiceDeploymentContinuer)
	if !ok || !ok2 || sr.r.sd == nil {
		return sr.fail(failure.StageRollout, "", errors.New("continue: this ECS client cannot release lifecycle hooks"))
	}
	svc, err := sr.describeService(ctx)
	if err != nil {
		return sr.fail(failure.StageRollout, notFoundRunbook(err), err)
	}
	sr.seen.baseline(svc)
	arn := aws.ToString(svc.CurrentServiceDeployment)
	if arn == "" {
		return sr.fail(failure.StageRollout, "", fmt.Errorf("%w: service %s names no current service deployment", ErrNothingToContinue, sr.s.Service))
	}
	out, err := api.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return sr.fail(failure.StageRollout, "", fmt.Errorf("describe service deployment %s: %w", arn, err))
	}
	if len(out.ServiceDeployments) != 1 {
		return sr.fail(failure.StageRollout, "", fmt.Errorf("describe service deployment %s: not found", arn))
	}
	sd := out.ServiceDeployments[0]
	hook := waitingHook(sd)
	if hook == "" || sd.Status != ecstypes.ServiceDeploymentStatusInProgress {
		return sr.fail(failure.StageRollout, "", fmt.Errorf("%w: service deployment %s is %s at %s and waits on no lifecycle hook",
			ErrNothingToContinue, arn, sd.Status, sd.LifecycleStage))
	}
	action := ecstypes.DeploymentLifecycleHookActionContinue
	if sr.r.opts.ContinueRollback {
		action = ecstypes.DeploymentLifecycleHookActionRollback
		sr.sd.rollbackAsked = true
	}
	if err := sr.releaseHook(ctx, arn, hook, action); err != nil {
		return err
	}
	sr.emit(event.LifecycleHookReleased{Service: sr.s.Name, ARN: arn, HookID: hook, Action: string(action), Reason: "asked for by omdeploy continue"})
	d, _ := primary(svc)
	sr.res.TaskDefinition = aws.ToString(d.TaskDefinition)
	sr.res.PreviousTaskDefinition = previous(svc)
	sr.noteServiceDeployment(svc)
	sr.sd.releasedHook, sr.sd.releasedAt = hook, slices.Index(lifecycleOrder, string(sd.LifecycleStage))
	return sr.follow(ctx, aws.ToString(d.Id), sr.res.PreviousTaskDefinition)
}
