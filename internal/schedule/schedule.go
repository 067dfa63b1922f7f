// Package schedule keeps the ECS targets of a service's scheduled
// EventBridge rules on the revision the service runs: a rule whose target
// names the old revision would go on running the old code, long after a
// deploy, at 3 a.m. After a deploy the pipeline moves each listed rule's
// targets of the service's task-definition family to the new revision
// (PutTargets, the target otherwise unchanged), and after a rollback back
// to the revision the service returned to.
package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/omdeploy/omdeploy/config"
)

// API is what the package asks of EventBridge; *eventbridge.Client is the
// real one.
type API interface {
	targetLister
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
}

var _ API = (*eventbridge.Client)(nil)

type targetLister interface {
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// DefaultCallTimeout bounds one EventBridge call, with the SDK's retries.
const DefaultCallTimeout = 30 * time.Second

// maxTargetPages bounds the target listing: a rule has at most five
// targets, so more pages than this is an API that keeps answering a token.
const maxTargetPages = 10

// Move is one target moved from one revision to another.
type Move struct {
	Rule, TargetID, From, To string
}

// Family is the task-definition family of an ARN or "family:revision":
// "arn:aws:ecs:r:1:task-definition/web:7" and "web:7" are both "web".
func Family(taskDef string) string {
	s := taskDef[strings.LastIndexByte(taskDef, '/')+1:]
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Retarget moves the ECS targets of rules that run taskDef's family to
// taskDef and returns what it moved; a target already on taskDef is left
// alone, so running it twice changes nothing. It stops at the first
// failure, naming the rule; what was moved before is returned with it.
func Retarget(ctx context.Context, api API, rules []config.ScheduledRule, taskDef string, callTimeout time.Duration) ([]Move, error) {
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	family := Family(taskDef)
	var moved []Move
	for _, r := range rules {
		targets, err := listTargets(ctx, api, r, callTimeout)
		if err != nil {
			return moved, err
		}
		var put []ebtypes.Target
		for _, t := range targets {
			if t.EcsParameters == nil {
				continue
			}
			from := aws.ToString(t.EcsParameters.TaskDefinitionArn)
			if from == taskDef || Family(from) != family {
				continue
			}
			// The target as it is, but for the revision: its schedule
			// input, role, network and count stay what their owner set.
			ecsp := *t.EcsParameters
			ecsp.TaskDefinitionArn = aws.String(taskDef)
			t.EcsParameters = &ecsp
			put = append(put, t)
			moved = append(moved, Move{Rule: r.Rule, TargetID: aws.ToString(t.Id), From: from, To: taskDef})
		}
		if len(put) == 0 {
			continue
		}
		if err := putTargets(ctx, api, r, put, callTimeout); err != nil {
			return moved[:len(moved)-len(put)], err
		}
	}
	return moved, nil
}

func listTargets(ctx context.Context, api targetLister, r config.ScheduledRule, callTimeout time.Duration) ([]ebtypes.Target, error) {
	var out []ebtypes.Target
	var token *string
	for range maxTargetPages {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		page, err := api.ListTargetsByRule(cctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(r.Rule), EventBusName: bus(r), NextToken: token})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list the targets of scheduled rule %s: %w", describe(r), err)
		}
		out = append(out, page.Targets...)
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		token = page.NextToken
	}
	return nil, fmt.Errorf("list the targets of scheduled rule %s: more than %d pages", describe(r), maxTargetPages)
}

func putTargets(ctx context.Context, api API, r config.ScheduledRule, targets []ebtypes.Target, callTimeout time.Duration) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := api.PutTargets(cctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.Rule), EventBusName: bus(r), Targets: targets})
	if err != nil {
		return fmt.Errorf("retarget scheduled rule %s: %w", describe(r), err)
	}
	// PutTargets answers 200 with the targets it refused listed.
	if out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
		f := out.FailedEntries[0]
		return fmt.Errorf("retarget scheduled rule %s: target %s: %s: %s", describe(r), aws.ToString(f.TargetId), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
	}
	return nil
}

func bus(r config.ScheduledRule) *string {
	if r.EventBus == "" {
		return nil
	}
	return aws.String(r.EventBus)
}

// describe names a rule and, when not the default, its bus.
func describe(r config.ScheduledRule) string {
	if r.EventBus == "" {
		return r.Rule
	}
	return r.Rule + " (event bus " + r.EventBus + ")"
}

// FindAPI is what Find asks of EventBridge.
type FindAPI interface {
	ListRuleNamesByTarget(ctx context.Context, in *eventbridge.ListRuleNamesByTargetInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListRuleNamesByTargetOutput, error)
	targetLister
}

var _ FindAPI = (*eventbridge.Client)(nil)

// maxRulePages bounds the listing of the rules that target one cluster.
const maxRulePages = 20

// Find returns the rules on the default event bus with an ECS target on
// clusterARN that runs family, for `omdeploy init` to list under the
// service's `scheduled:`. A rule on another bus is not found: EventBridge
// lists rules by target one bus at a time, and init cannot guess the bus.
func Find(ctx context.Context, api FindAPI, clusterARN, family string, callTimeout time.Duration) ([]string, error) {
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	var names []string
	var token *string
	for page := 0; ; page++ {
		if page == maxRulePages {
			return nil, fmt.Errorf("list the rules that target %s: more than %d pages", clusterARN, maxRulePages)
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := api.ListRuleNamesByTarget(cctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(clusterARN), NextToken: token})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list the rules that target %s: %w", clusterARN, err)
		}
		names = append(names, out.RuleNames...)
		if aws.ToString(out.NextToken) == "" {
			break
		}
		token = out.NextToken
	}
	var found []string
	for _, name := range names {
		targets, err := listTargets(ctx, api, config.ScheduledRule{Rule: name}, callTimeout)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			if aws.ToString(t.Arn) == clusterARN && t.EcsParameters != nil && Family(aws.ToString(t.EcsParameters.TaskDefinitionArn)) == family {
				found = append(found, name)
				break
			}
		}
	}
	return found, nil
}
