package deploy

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// targetCallTimeout bounds each call of one look at the targets: a slow
// ELBv2 or ECS answer delays the rollout's next look, never the deploy.
const targetCallTimeout = 10 * time.Second

// attrDeregistrationDelay is the target group attribute that says how long
// a deregistered target drains.
const attrDeregistrationDelay = "deregistration_delay.timeout_seconds"

// targetWatch is what a service's run knows of the new tasks' targets.
//
// The new tasks are those ECS started for the followed deployment
// (startedBy is its ID); an awsvpc task's target is its ENI's private IP
// with the load balancer's container port. Tasks registered by container
// instance (bridge, host) are not matched: their targets name the EC2
// instance, which would take DescribeContainerInstances to learn.
type targetWatch struct {
	ips  map[string]string                // task ARN -> private IP, of every task of the deployment seen, stopped ones too
	last map[string]elbtypes.TargetHealth // task ARN -> its target's health as last seen
	off  map[string]bool                  // target groups not asked again after a failed read
	key  map[string]string                // target group -> the progress last reported

	// running are the deployment's running tasks as last listed, and
	// answered what the load balancer said then: the tasks are listed
	// again only when its answer changed, since a task that starts,
	// stops or changes health shows there first.
	running  []string
	answered string
}

// watchedGroup is a target group the new tasks may register in, with the
// container port their targets name; pair marks one of a blue/green pair.
type watchedGroup struct {
	arn  string
	port *int32
	pair bool
}

// targetGroupDelays reads each target group's deregistration delay once
// per run, for every service behind it.
type targetGroupDelays struct {
	mu sync.Mutex
	m  map[string]time.Duration // 0: could not be read
}

func (d *targetGroupDelays) get(ctx context.Context, api TargetHealthAPI, tg string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.m[tg]; ok {
		return v
	}
	if d.m == nil {
		d.m = map[string]time.Duration{}
	}
	d.m[tg] = 0
	out, err := api.DescribeTargetGroupAttributes(ctx, &elasticloadbalancingv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return 0 // the progress says "draining" without the delay
	}
	for _, a := range out.Attributes {
		if aws.ToString(a.Key) == attrDeregistrationDelay {
			if s, err := strconv.Atoi(aws.ToString(a.Value)); err == nil {
				d.m[tg] = time.Duration(s) * time.Second
			}
		}
	}
	return d.m[tg]
}

// followTargets looks once at the load balancer's view of deployment id's
// tasks and reports what changed. The followers call it after each poll
// of a rollout in progress (the run's own deployment, not a rollback
// after it), so it asks no more often than they do:
// DescribeTargetHealth once per target group (every target in one call);
// ListTasks only when that answer changed since the last look, and
// DescribeTasks only for tasks not seen before. Its
// errors never fail the deploy: a target group whose health cannot be
// read is named in one warning and not asked again.
//
// The look ends by the follower's deadline, so that it never holds the
// follower past the moment it must judge the rollout.
func (sr *serviceRun) followTargets(ctx context.Context, id string, deadline time.Time) {
	if id != sr.res.DeploymentID {
		// A rollback's deployment, followed after the run's own failed:
		// the targets reported are those of the revision deployed.
		return
	}
	api := sr.r.opts.ELB
	var lbs []watchedGroup
	for _, lb := range sr.last.LoadBalancers {
		if tg := aws.ToString(lb.TargetGroupArn); tg != "" && !sr.targets.off[tg] {
			lbs = append(lbs, watchedGroup{tg, lb.ContainerPort, lb.AdvancedConfiguration != nil})
		}
		// Blue/green: the new revision's tasks start in the alternate
		// target group (which of the pair is "green" changes with each
		// deployment, so both are asked).
		if ac := lb.AdvancedConfiguration; ac != nil && aws.ToString(ac.AlternateTargetGroupArn) != "" && !sr.targets.off[aws.ToString(ac.AlternateTargetGroupArn)] {
			lbs = append(lbs, watchedGroup{aws.ToString(ac.AlternateTargetGroupArn), lb.ContainerPort, true})
		}
	}
	if api == nil || len(lbs) == 0 {
		return
	}
	tw := &sr.targets
	if tw.ips == nil {
		tw.ips, tw.last, tw.off, tw.key = map[string]string{}, map[string]elbtypes.TargetHealth{}, map[string]bool{}, map[string]string{}
	}
	// A duration, not a deadline: the deadline is on the engine's clock,
	// which the demo runs faster than the wall's.
	wait := min(targetCallTimeout, deadline.Sub(sr.now()))
	if wait <= 0 {
		return
	}
	tctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	answers := make([][]elbtypes.TargetHealthDescription, len(lbs))
	for i, lb := range lbs {
		descs, err := describeTargetHealth(tctx, api, lb.arn)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			tw.off[lb.arn] = true
			sr.warn("target health of target group %s is not shown for the rest of this run: %s; the deploy goes on", awsx.TargetGroupName(lb.arn), errMessage(err))
			continue
		}
		answers[i] = descs
	}
	if key := answersKey(lbs, answers); tw.running == nil || key != tw.answered {
		running, err := sr.targetTasks(tctx, id)
		if err != nil {
			sr.logger().Debug("target health not read: the deployment's tasks are unknown", "error", err, logRequestID, awsx.RequestID(err))
			return
		}
		tw.running, tw.answered = running, key
	}
	gone := func(ip string) bool {
		for arn, known := range tw.ips {
			if known == ip && !slices.Contains(tw.running, arn) {
				return true
			}
		}
		return false
	}
	for i, lb := range lbs {
		tg := lb.arn
		if tw.off[tg] {
			continue
		}
		var want []elbtypes.TargetDescription
		wantTask := map[string]string{} // ip:port -> task ARN
		for _, arn := range tw.running {
			if ip := tw.ips[arn]; ip != "" {
				want = append(want, elbtypes.TargetDescription{Id: aws.String(ip), Port: lb.port})
				wantTask[targetKey(ip, aws.ToInt32(lb.port))] = arn
			}
		}
		h, byKey := splitTargets(tg, answers[i], want, gone)
		if lb.pair && len(byKey) == 0 {
			// The other group of a blue/green pair: the new tasks are
			// not in it, its draining targets are not this rollout's.
			continue
		}
		for k, th := range byKey {
			tw.last[wantTask[k]] = th
		}
		if h.Draining > 0 {
			h.DeregistrationDelaySeconds = int(sr.r.delays.get(tctx, api, tg) / time.Second)
		}
		sr.reportTargets(h)
	}
}

// answersKey says what the load balancer answered for the groups, target
// by target, so that an answer like the last one is known as such.
func answersKey(lbs []watchedGroup, answers [][]elbtypes.TargetHealthDescription) string {
	var b strings.Builder
	for i, lb := range lbs {
		b.WriteString(lb.arn + "\n")
		for _, d := range answers[i] {
			var state, reason string
			if th := d.TargetHealth; th != nil {
				state, reason = string(th.State), string(th.Reason)
			}
			if t := d.Target; t != nil {
				fmt.Fprintf(&b, "%s:%d %s %s\n", aws.ToString(t.Id), aws.ToInt32(t.Port), state, reason)
			}
		}
	}
	return b.String()
}

// reportTargets records one target group's progress in the result and
// emits it when it changed.
func (sr *serviceRun) reportTargets(h result.TargetGroupHealth) {
	if h.Total == 0 && h.Draining == 0 { // no new task has an address yet: nothing to say
		return
	}
	i := slices.IndexFunc(sr.res.Targets, func(t result.TargetGroupHealth) bool { return t.TargetGroup == h.TargetGroup })
	if i < 0 {
		sr.res.Targets = append(sr.res.Targets, h)
	} else {
		sr.res.Targets[i] = h
	}
	if key := fmt.Sprintf("%+v", h); sr.targets.key[h.TargetGroup] != key {
		sr.targets.key[h.TargetGroup] = key
		sr.emit(event.TargetHealth{Service: sr.s.Name, Targets: h})
	}
}

// targetTasks returns the ARNs of deployment id's running tasks and
// learns the IPs of those not seen before: one ListTasks, and a
// DescribeTasks only for tasks new since the last look.
func (sr *serviceRun) targetTasks(ctx context.Context, id string) ([]string, error) {
	api := sr.r.opts.ECS
	list, err := api.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(sr.s.Cluster), StartedBy: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", id, err)
	}
	var unknown []string
	for _, arn := range list.TaskArns {
		if _, ok := sr.targets.ips[arn]; !ok {
			unknown = append(unknown, arn)
		}
	}
	if len(unknown) > 0 {
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(sr.s.Cluster), Tasks: unknown[:min(len(unknown), 100)]})
		if err != nil {
			return nil, fmt.Errorf("describe tasks of %s: %w", id, err)
		}
		for _, t := range out.Tasks {
			// A task still provisioning has no address yet: ask again.
			if ip := taskIP(t); ip != "" {
				sr.targets.ips[aws.ToString(t.TaskArn)] = ip
			}
		}
	}
	return list.TaskArns, nil
}

// lastTargetHealth is the load balancer's last word on a task's target and
// its text, "Target.ResponseCodeMismatch: Health checks failed with these
// codes: [404]"; the text is "" when the target was last seen healthy, or
// never seen.
func (sr *serviceRun) lastTargetHealth(taskARN string) (elbtypes.TargetHealth, string) {
	th, ok := sr.targets.last[taskARN]
	if !ok || th.State == elbtypes.TargetHealthStateEnumHealthy {
		return th, ""
	}
	reason := string(th.Reason)
	if reason == "" {
		reason = string(th.State)
	}
	if d := aws.ToString(th.Description); d != "" {
		return th, reason + ": " + d
	}
	return th, reason
}

// targetCause matches an unhealthy target's reason with the runbook: a
// 404 is a health check path the revision does not serve (a phantom
// route), a 5xx the application failing its own check, a timeout the port
// or the security group; any other failure is the generic entry.
func targetCause(th elbtypes.TargetHealth) string {
	if th.State != elbtypes.TargetHealthStateEnumUnhealthy {
		return ""
	}
	switch th.Reason {
	case elbtypes.TargetHealthReasonEnumResponseCodeMismatch:
		codes := answeredCodes(aws.ToString(th.Description))
		switch {
		case slices.Contains(codes, 404):
			return runbook.LBTargetsPhantomRoute
		case slices.ContainsFunc(codes, func(c int) bool { return c >= 500 && c <= 599 }):
			return runbook.LBTargetsServerError
		}
	case elbtypes.TargetHealthReasonEnumTimeout:
		return runbook.LBTargetsTimeout
	}
	return runbook.LBTargetsUnhealthy
}

// answeredCodes reads the codes of ELBv2's "Health checks failed with
// these codes: [404,502]".
func answeredCodes(desc string) []int {
	_, list, ok := strings.Cut(desc, "[")
	if !ok {
		return nil
	}
	list, _, _ = strings.Cut(list, "]")
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		if c, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, c)
		}
	}
	return out
}
