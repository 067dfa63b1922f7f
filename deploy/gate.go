package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Gated blue/green: a blue/green deployment with a PAUSE lifecycle hook at
// POST_TEST_TRAFFIC_SHIFT waits there with test traffic on the new (green)
// revision and production traffic still on blue. With health.test_base_url
// (the test listener) omdeploy verifies green there, with the same checker
// and endpoints as production, then releases the hook: CONTINUE when
// healthy, ROLLBACK when not. Production health is verified after the shift
// as for any deployment.

// gateStage is where the gate sits.
const gateStage = ecstypes.ServiceDeploymentLifecycleStagePostTestTrafficShift

// gate is what a service's run knows of its gate.
type gate struct {
	hook    string // the hook released; "" before
	failure error  // the test-traffic health failure that sent ROLLBACK
	summary string // what the failing endpoints answered, for messages
}

// gateHook returns the PAUSE hook at POST_TEST_TRAFFIC_SHIFT that sd waits
// on and that this run verifies and releases itself, or "": without
// test_base_url the hook is left to a person, as any other.
func (sr *serviceRun) gateHook(sd ecstypes.ServiceDeployment) string {
	h := sr.s.Health
	if sr.r.opts.Health == nil || h == nil || h.TestBaseURL == "" || sr.sd.gate.hook != "" ||
		sd.Status != ecstypes.ServiceDeploymentStatusInProgress || sd.LifecycleStage != gateStage {
		return ""
	}
	if dc := sd.DeploymentConfiguration; dc != nil && len(dc.LifecycleHooks) > 0 && !pausesAtGate(dc.LifecycleHooks) {
		return "" // the hook waiting there is not a PAUSE one (a Lambda's answer is pending)
	}
	for _, d := range sd.LifecycleHookDetails {
		if d.Status == ecstypes.DeploymentLifecycleHookStatusAwaitingAction &&
			(d.TargetType == "" || d.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause) {
			return aws.ToString(d.HookId)
		}
	}
	return ""
}

func pausesAtGate(hooks []ecstypes.DeploymentLifecycleHook) bool {
	return slices.ContainsFunc(hooks, func(h ecstypes.DeploymentLifecycleHook) bool {
		return h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause &&
			slices.Contains(h.LifecycleStages, ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift)
	})
}

// testTraffic verifies the new revision through the test listener and
// releases the gate's hook with CONTINUE or ROLLBACK. A nil error means the
// deployment goes on (or rolls back, recorded in sr.sd.gate.failure) and
// is followed further; an error ends the run's follow of it.
func (sr *serviceRun) testTraffic(ctx context.Context, sd ecstypes.ServiceDeployment, hook, prev string) error {
	arn := aws.ToString(sd.ServiceDeploymentArn)
	th := *sr.s.Health
	th.BaseURL = th.TestBaseURL
	sr.logger().Info("verifying the new revision through the test listener", "service_deployment", arn, "hook", hook, "url", th.BaseURL)
	results, err := sr.r.opts.Health.Check(ctx, sr.s.Name, th)
	sr.res.TestTrafficHealth = results
	sr.stage(failure.StageRollout)
	sr.sd.gate.hook = hook
	sr.sd.releasedHook, sr.sd.releasedAt = hook, slices.Index(lifecycleOrder, string(gateStage))
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return sr.sdInterrupted(ctx, arn, sd, prev, ctx.Err())
	case ctx.Err() != nil:
		// The run's --timeout passed during the check: the follower sees
		// it next and rolls the deployment back, still in flight.
		return nil
	}
	action := ecstypes.DeploymentLifecycleHookActionContinue
	reason := fmt.Sprintf("%d endpoint(s) passed through the test listener %s", len(results), th.BaseURL)
	if err != nil {
		sr.sd.gate.summary = failingEndpoints(results, err)
		reason = "through the test listener: " + sr.sd.gate.summary
		if sr.r.opts.NoRollback {
			sr.res.RunbookID = runbook.HealthTestTraffic
			return sr.fail(failure.StageHealth, runbook.HealthTestTraffic, fmt.Errorf(
				"%w: the new revision %s failed %s; rollback disabled: service deployment %s is left waiting at lifecycle hook %s "+
					"(`omdeploy continue --service %s` releases it; at the hook's timeout ECS takes its timeout action)",
				ErrTestTraffic, sr.res.TaskDefinition, reason, arn, hook, sr.s.Name))
		}
		action = ecstypes.DeploymentLifecycleHookActionRollback
		sr.sd.gate.failure = err
	}
	if err := sr.releaseHook(ctx, arn, hook, action); err != nil {
		return err
	}
	sr.emit(event.LifecycleHookReleased{Service: sr.s.Name, ARN: arn, HookID: hook, Action: string(action), Reason: reason})
	return nil
}

// testTrafficFailed is the gate's failure when it sent ROLLBACK: a health
// failure (exit 5) naming what was seen; then says how the rollback ended.
func (sr *serviceRun) testTrafficFailed(then string) error {
	sr.res.RunbookID = runbook.HealthTestTraffic
	return sr.fail(failure.StageHealth, runbook.HealthTestTraffic, fmt.Errorf(
		"%w: the new revision %s failed through the test listener %s: %s; omdeploy released lifecycle hook %s with ROLLBACK%s",
		ErrTestTraffic, sr.res.TaskDefinition, sr.s.Health.TestBaseURL, sr.sd.gate.summary, sr.sd.gate.hook, then))
}

// failingEndpoints says which endpoints failed and what they answered.
func failingEndpoints(results []healthcheck.Result, err error) string {
	var parts []string
	for _, r := range results {
		if r.OK {
			continue
		}
		if r.Error != "" {
			parts = append(parts, r.Error) // names the URL and what it answered
			continue
		}
		parts = append(parts, fmt.Sprintf("GET %s: status %d after %d attempt(s)", r.URL, r.StatusCode, r.Attempts))
	}
	if len(parts) == 0 {
		return errMessage(err)
	}
	return strings.Join(parts, "; ")
}

// releaseHook sends ContinueServiceDeployment for hook. When the answer is
// lost, the service deployment is read back: a hook no longer waiting was
// released; one still waiting was not, and the request is sent once more;
// an unreadable state is unknown (exit 6).
func (sr *serviceRun) releaseHook(ctx context.Context, arn, hook string, action ecstypes.DeploymentLifecycleHookAction) error {
	cont, ok := sr.r.opts.ECS.(ServiceDeploymentContinuer)
	if !ok {
		return sr.fail(failure.StageRollout, "", fmt.Errorf("release lifecycle hook %s of service deployment %s: this ECS client cannot release lifecycle hooks", hook, arn))
	}
	in := &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hook), Action: action}
	for attempt := 1; ; attempt++ {
		_, err := cont.ContinueServiceDeployment(ctx, in)
		if err == nil {
			sr.logger().Info("lifecycle hook released", "service_deployment", arn, "hook", hook, "action", string(action))
			return nil
		}
		what := fmt.Sprintf("ContinueServiceDeployment(%s) of service deployment %s at lifecycle hook %s", action, arn, hook)
		if !awsx.Ambiguous(err) {
			return sr.fail(failure.StageRollout, "", fmt.Errorf("%s: %w; the deployment still waits there", what, err))
		}
		sd, rerr := sr.readBackSD(ctx, arn)
		switch {
		case rerr != nil:
			return sr.fail(failure.StageRollout, runbook.RolloutHookUnknown, fmt.Errorf(
				"%w: %s got no answer (%v), and reading it back failed (%v): the hook may or may not be released",
				failure.ErrUnknown, what, err, rerr))
		case hookStatus(sd, hook) != ecstypes.DeploymentLifecycleHookStatusAwaitingAction:
			sr.warn("%s got no answer (%v), but reading it back shows it was applied", what, err)
			return nil
		case attempt == 2:
			return sr.fail(failure.StageRollout, "", fmt.Errorf("%s got no answer twice (%v); read back: not applied, the deployment still waits there", what, err))
		}
	}
}

// hookStatus is the status of hook in sd; "" when sd does not list it.
func hookStatus(sd ecstypes.ServiceDeployment, hook string) ecstypes.DeploymentLifecycleHookStatus {
	for _, d := range sd.LifecycleHookDetails {
		if aws.ToString(d.HookId) == hook {
			return d.Status
		}
	}
	return ""
}

// readBackSD reads service deployment arn after a write whose answer was
// lost, on a fresh bounded context: the run's may be what was cancelled.
func (sr *serviceRun) readBackSD(ctx context.Context, arn string) (ecstypes.ServiceDeployment, error) {
	api, ok := sr.r.opts.ECS.(ServiceDeploymentAPI)
	if !ok {
		return ecstypes.ServiceDeployment{}, errors.New("this ECS client cannot describe service deployments")
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	out, err := api.DescribeServiceDeployments(rctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return ecstypes.ServiceDeployment{}, fmt.Errorf("describe service deployment %s: %w", arn, err)
	}
	for _, sd := range out.ServiceDeployments {
		if aws.ToString(sd.ServiceDeploymentArn) == arn {
			return sd, nil
		}
	}
	return ecstypes.ServiceDeployment{}, fmt.Errorf("describe service deployment %s: %w", arn, ErrNotFound)
}
