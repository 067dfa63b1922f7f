package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// oneRule is an EventBridge rule "nightly" with one ECS target, "job".
type oneRule struct {
	taskDef string
	putErr  error
}

func (r *oneRule) ListTargetsByRule(context.Context, *eventbridge.ListTargetsByRuleInput, ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error) {
	return &eventbridge.ListTargetsByRuleOutput{Targets: []ebtypes.Target{{
		Id: aws.String("job"), Arn: aws.String("arn:aws:ecs:r:1:cluster/c"), EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String(r.taskDef)},
	}}}, nil
}

func (r *oneRule) PutTargets(_ context.Context, in *eventbridge.PutTargetsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error) {
	if r.putErr != nil {
		return nil, r.putErr
	}
	r.taskDef = aws.ToString(in.Targets[0].EcsParameters.TaskDefinitionArn)
	return &eventbridge.PutTargetsOutput{}, nil
}

func TestFollowScheduled(t *testing.T) {
	const rev1, rev2 = "arn:aws:ecs:r:1:task-definition/web:1", "arn:aws:ecs:r:1:task-definition/web:2"
	deployed := deploy.ServiceResult{Name: "web", PreviousTaskDefinition: rev1, TaskDefinition: rev2, Stage: failure.StageDone}
	rolledBack := deploy.ServiceResult{Name: "web", PreviousTaskDefinition: rev1, TaskDefinition: rev2, Stage: failure.StageHealth, RolledBack: true}
	failed := deploy.ServiceResult{Name: "web", PreviousTaskDefinition: rev1, TaskDefinition: rev2, Stage: failure.StageRollout}
	tests := []struct {
		name     string
		res      deploy.ServiceResult
		engine   error
		dryRun   bool
		putErr   error
		want     string // the rule's revision afterwards
		wantCode int
	}{
		{"a deploy that passed moves the rule", deployed, nil, false, nil, rev2, failure.ExitOK},
		{"a rolled-back deploy leaves it on the previous revision", rolledBack, failure.New(failure.StageHealth, "web", "", errors.New("unhealthy")), false, nil, rev1, failure.ExitHealth},
		{"a failed deploy without rollback leaves it alone", failed, failure.New(failure.StageRollout, "web", "", errors.New("failed")), false, nil, rev1, failure.ExitRollout},
		{"a dry run leaves it alone", deployed, nil, true, nil, rev1, failure.ExitOK},
		{"a rule that cannot be moved fails the run", deployed, nil, false, errors.New("denied"), rev1, failure.ExitRollout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := &oneRule{taskDef: rev1}
			if tt.res.RolledBack {
				rule.taskDef = rev2 // moved by an earlier run; the rollback brings it back
			}
			rule.putErr = tt.putErr
			o := Options{
				Services: []config.Service{{Name: "web", Scheduled: []config.ScheduledRule{{Rule: "nightly"}}}},
				AWS:      AWS{Events: rule},
			}
			o.Engine.DryRun = tt.dryRun
			services := []deploy.ServiceResult{tt.res}
			err := followScheduled(context.Background(), o, services, tt.engine)
			if rule.taskDef != tt.want {
				t.Errorf("rule runs %s, want %s", rule.taskDef, tt.want)
			}
			if got := failure.ExitCode(err); got != tt.wantCode {
				t.Errorf("exit %d (%v), want %d", got, err, tt.wantCode)
			}
			if tt.putErr != nil && (services[0].Stage != failure.StageRollout || !strings.Contains(services[0].Error, "nightly")) {
				t.Errorf("service result %+v does not say which rule failed", services[0])
			}
		})
	}
}
