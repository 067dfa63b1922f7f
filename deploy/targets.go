package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/result"
)

// TargetHealthAPI is the part of ELBv2 the rollout follower reads to show
// the new tasks' targets (targetwatch.go): their health, and the target
// group's deregistration delay when old targets drain.
type TargetHealthAPI interface {
	DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
	DescribeTargetGroupAttributes(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error)
}

var _ TargetHealthAPI = (*elasticloadbalancingv2.Client)(nil)

// NewTaskTargets maps each target group of lbs to the targets the tasks
// register in it: an awsvpc task registers its ENI's private IPv4 address
// with the container port. Tasks of other network modes register their
// container instance, which a task does not name as EC2 does; they are
// left out.
func NewTaskTargets(tasks []ecstypes.Task, lbs []ecstypes.LoadBalancer) map[string][]elbtypes.TargetDescription {
	out := map[string][]elbtypes.TargetDescription{}
	for _, lb := range lbs {
		tg := aws.ToString(lb.TargetGroupArn)
		if tg == "" {
			continue
		}
		for _, t := range tasks {
			if ip := taskIP(t); ip != "" {
				out[tg] = append(out[tg], elbtypes.TargetDescription{Id: aws.String(ip), Port: lb.ContainerPort})
			}
		}
	}
	return out
}

// taskIP is an awsvpc task's private IPv4 address, or "".
func taskIP(t ecstypes.Task) string {
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}

// DescribeTargetProgress asks ELBv2 for the health of every target of
// each target group, one call per group (not one per target), and returns
// the progress of the targets named in targets, in ARN order, with the
// other targets that are draining counted as old ones.
func DescribeTargetProgress(ctx context.Context, api TargetHealthAPI, targets map[string][]elbtypes.TargetDescription) ([]result.TargetGroupHealth, error) {
	arns := make([]string, 0, len(targets))
	for a := range targets {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	out := make([]result.TargetGroupHealth, 0, len(arns))
	for _, a := range arns {
		if len(targets[a]) == 0 {
			continue
		}
		descs, err := describeTargetHealth(ctx, api, a)
		if err != nil {
			return nil, err
		}
		h, _ := splitTargets(a, descs, targets[a], nil)
		out = append(out, h)
	}
	return out, nil
}

// describeTargetHealth lists every target of the group with its health:
// without Targets, ELBv2 answers for all registered ones, draining
// included, in one call.
func describeTargetHealth(ctx context.Context, api TargetHealthAPI, tg string) ([]elbtypes.TargetHealthDescription, error) {
	resp, err := api.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return nil, fmt.Errorf("describe target health of %s: %w", tg, err)
	}
	return resp.TargetHealthDescriptions, nil
}

// splitTargets folds one group's answer into the progress of want (the
// new tasks' targets; one ELBv2 does not list yet counts as not
// registered) and returns each wanted target's health by "ip:port". A
// draining target that is not wanted is an old one, unless gone says it
// is a target of the new deployment's own stopped tasks.
func splitTargets(tg string, descs []elbtypes.TargetHealthDescription, want []elbtypes.TargetDescription, gone func(id string) bool) (result.TargetGroupHealth, map[string]elbtypes.TargetHealth) {
	byKey := map[string]elbtypes.TargetHealth{}
	h := result.TargetGroupHealth{TargetGroup: tg, Name: awsx.TargetGroupName(tg), Total: len(want)}
	for _, d := range descs {
		if d.Target == nil || d.TargetHealth == nil {
			continue
		}
		k := targetKey(aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
		if slices.ContainsFunc(want, func(w elbtypes.TargetDescription) bool {
			return targetKey(aws.ToString(w.Id), aws.ToInt32(w.Port)) == k
		}) {
			byKey[k] = *d.TargetHealth
			continue
		}
		if d.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining && (gone == nil || !gone(aws.ToString(d.Target.Id))) {
			h.Draining++
		}
	}
	for _, w := range want {
		th, ok := byKey[targetKey(aws.ToString(w.Id), aws.ToInt32(w.Port))]
		switch {
		case !ok:
			h.Problems = addProblem(h.Problems, string(elbtypes.TargetHealthReasonEnumNotRegistered), "not registered yet")
		case th.State == elbtypes.TargetHealthStateEnumHealthy:
			h.Healthy++
		default:
			reason := string(th.Reason)
			if reason == "" {
				reason = string(th.State)
			}
			h.Problems = addProblem(h.Problems, reason, aws.ToString(th.Description))
		}
	}
	return h, byKey
}

// addProblem counts one more target with reason and description.
func addProblem(ps []result.TargetProblem, reason, desc string) []result.TargetProblem {
	i := slices.IndexFunc(ps, func(p result.TargetProblem) bool { return p.Reason == reason && p.Description == desc })
	if i < 0 {
		return append(ps, result.TargetProblem{Reason: reason, Description: desc, Count: 1})
	}
	ps[i].Count++
	return ps
}

func targetKey(id string, port int32) string { return fmt.Sprintf("%s:%d", id, port) }
