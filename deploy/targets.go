package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TargetHealthAPI is the part of ELBv2 that target progress calls.
//
// Not yet called by the rollout follower: this file is the building block
// (targets of the new tasks, one batched call per target group, the
// progress line) for showing load-balancer health during a rollout.
type TargetHealthAPI interface {
	DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
}

var _ TargetHealthAPI = (*elasticloadbalancingv2.Client)(nil)

// TargetProgress is the load balancer's view of the new tasks' targets in
// one target group.
type TargetProgress struct {
	TargetGroup string
	Total       int
	Healthy     int
	// Problems counts the targets not healthy by reason and ELBv2's
	// description ("Target.ResponseCodeMismatch: Health checks failed
	// with these codes: [404]"), in the order first seen.
	Problems []TargetProblem
}

// TargetProblem is how many targets share one reason and description.
type TargetProblem struct {
	Reason      string // e.g. Target.Timeout, or the state when ELBv2 gives no reason
	Description string
	Count       int
}

// String is the progress line: "2/3 targets healthy; 1
// Target.ResponseCodeMismatch: health checks failed with these codes:
// [404]".
func (p TargetProgress) String() string {
	parts := []string{fmt.Sprintf("%d/%d targets healthy", p.Healthy, p.Total)}
	for _, pr := range p.Problems {
		s := fmt.Sprintf("%d %s", pr.Count, pr.Reason)
		if pr.Description != "" {
			s += ": " + lowerFirst(pr.Description)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

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

// DescribeTargetProgress asks ELBv2 for the health of targets, one call
// per target group with all of its targets (not one per target), and
// returns the progress of each group in ARN order.
func DescribeTargetProgress(ctx context.Context, api TargetHealthAPI, targets map[string][]elbtypes.TargetDescription) ([]TargetProgress, error) {
	arns := make([]string, 0, len(targets))
	for a := range targets {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	out := make([]TargetProgress, 0, len(arns))
	for _, a := range arns {
		if len(targets[a]) == 0 {
			continue
		}
		resp, err := api.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(a), Targets: targets[a]})
		if err != nil {
			return nil, fmt.Errorf("describe target health of %s: %w", a, err)
		}
		p := TargetProgress{TargetGroup: a, Total: len(resp.TargetHealthDescriptions)}
		for _, d := range resp.TargetHealthDescriptions {
			h := d.TargetHealth
			if h == nil {
				continue
			}
			if h.State == elbtypes.TargetHealthStateEnumHealthy {
				p.Healthy++
				continue
			}
			reason := string(h.Reason)
			if reason == "" {
				reason = string(h.State)
			}
			desc := aws.ToString(h.Description)
			i := slices.IndexFunc(p.Problems, func(pr TargetProblem) bool { return pr.Reason == reason && pr.Description == desc })
			if i < 0 {
				p.Problems = append(p.Problems, TargetProblem{Reason: reason, Description: desc})
				i = len(p.Problems) - 1
			}
			p.Problems[i].Count++
		}
		out = append(out, p)
	}
	return out, nil
}

// lowerFirst lowercases ELBv2's sentence-case description so it reads as
// part of the line.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
