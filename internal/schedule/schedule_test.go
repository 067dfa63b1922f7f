package schedule_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/schedule"
)

const (
	rev1 = "arn:aws:ecs:us-east-1:1:task-definition/web:1"
	rev2 = "arn:aws:ecs:us-east-1:1:task-definition/web:2"
)

// fakeEvents holds rules by "bus/rule" and records PutTargets.
type fakeEvents struct {
	rules   map[string][]ebtypes.Target
	puts    []*eventbridge.PutTargetsInput
	failPut *ebtypes.PutTargetsResultEntry
	listErr error
}

func key(bus *string, rule *string) string { return aws.ToString(bus) + "/" + aws.ToString(rule) }

func (f *fakeEvents) ListTargetsByRule(_ context.Context, in *eventbridge.ListTargetsByRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	return &eventbridge.ListTargetsByRuleOutput{Targets: slices.Clone(f.rules[key(in.EventBusName, in.Rule)])}, nil
}

func (f *fakeEvents) PutTargets(_ context.Context, in *eventbridge.PutTargetsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error) {
	f.puts = append(f.puts, in)
	if f.failPut != nil {
		return &eventbridge.PutTargetsOutput{FailedEntryCount: 1, FailedEntries: []ebtypes.PutTargetsResultEntry{*f.failPut}}, nil
	}
	return &eventbridge.PutTargetsOutput{}, nil
}

func bus(r config.ScheduledRule) *string {
	if r.EventBus == "" {
		return nil
	}
	return aws.String(r.EventBus)
}

func ecsTarget(id, td string) ebtypes.Target {
	return ebtypes.Target{Id: aws.String(id), Arn: aws.String("arn:aws:ecs:us-east-1:1:cluster/c"), Input: aws.String(`{"x":1}`),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String(td), TaskCount: aws.Int32(2)}}
}

func TestRetarget(t *testing.T) {
	tests := []struct {
		name      string
		rules     []config.ScheduledRule
		targets   map[string][]ebtypes.Target
		to        string
		wantMoved []string // RULE/TARGET
		wantPuts  int
	}{
		{
			name:  "the family's targets move, others stay",
			rules: []config.ScheduledRule{{Rule: "nightly"}},
			targets: map[string][]ebtypes.Target{"/nightly": {
				ecsTarget("a", rev1), ecsTarget("b", "arn:aws:ecs:us-east-1:1:task-definition/webby:1"),
				{Id: aws.String("lambda"), Arn: aws.String("arn:aws:lambda:us-east-1:1:function:f")},
			}},
			to: rev2, wantMoved: []string{"nightly/a"}, wantPuts: 1,
		},
		{
			name:    "a target already on the revision is not put again",
			rules:   []config.ScheduledRule{{Rule: "nightly"}},
			targets: map[string][]ebtypes.Target{"/nightly": {ecsTarget("a", rev2)}},
			to:      rev2,
		},
		{
			name:    "back on a rollback, and on its own bus",
			rules:   []config.ScheduledRule{{Rule: "nightly", EventBus: "ops"}},
			targets: map[string][]ebtypes.Target{"ops/nightly": {ecsTarget("a", rev2), ecsTarget("b", "web:2")}},
			to:      rev1, wantMoved: []string{"nightly/a", "nightly/b"}, wantPuts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEvents{rules: tt.targets}
			moved, err := schedule.Retarget(context.Background(), f, tt.rules, tt.to, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range moved {
				got = append(got, m.Rule+"/"+m.TargetID)
				if m.To != tt.to {
					t.Errorf("%s moved to %s, want %s", m.TargetID, m.To, tt.to)
				}
			}
			if !slices.Equal(got, tt.wantMoved) || len(f.puts) != tt.wantPuts {
				t.Fatalf("moved %v with %d PutTargets, want %v with %d", got, len(f.puts), tt.wantMoved, tt.wantPuts)
			}
			for _, put := range f.puts {
				if aws.ToString(put.EventBusName) != tt.rules[0].EventBus {
					t.Errorf("put on bus %q, want %q", aws.ToString(put.EventBusName), tt.rules[0].EventBus)
				}
				for _, tg := range put.Targets {
					// Only the revision changes.
					if aws.ToString(tg.EcsParameters.TaskDefinitionArn) != tt.to || aws.ToString(tg.Input) != `{"x":1}` || aws.ToInt32(tg.EcsParameters.TaskCount) != 2 {
						t.Errorf("put target %+v (ecs %+v)", tg, tg.EcsParameters)
					}
				}
			}
			// A moved target was copied, not changed in place: the
			// listing's EcsParameters are shared with the caller's.
			for _, tg := range tt.targets[key(bus(tt.rules[0]), aws.String(tt.rules[0].Rule))] {
				if slices.Contains(tt.wantMoved, tt.rules[0].Rule+"/"+aws.ToString(tg.Id)) && aws.ToString(tg.EcsParameters.TaskDefinitionArn) == tt.to {
					t.Errorf("the listed target %s was modified in place", aws.ToString(tg.Id))
				}
			}
		})
	}
}

func TestRetargetErrors(t *testing.T) {
	rules := []config.ScheduledRule{{Rule: "nightly"}}
	tests := []struct {
		name string
		f    *fakeEvents
		want string
	}{
		{"listing fails", &fakeEvents{listErr: errors.New("denied")}, "list the targets of scheduled rule nightly: denied"},
		{"a target refused", &fakeEvents{
			rules:   map[string][]ebtypes.Target{"/nightly": {ecsTarget("a", rev1)}},
			failPut: &ebtypes.PutTargetsResultEntry{TargetId: aws.String("a"), ErrorCode: aws.String("ValidationException"), ErrorMessage: aws.String("bad role")},
		}, "retarget scheduled rule nightly: target a: ValidationException: bad role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moved, err := schedule.Retarget(context.Background(), tt.f, rules, rev2, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if len(moved) != 0 {
				t.Fatalf("moved %+v although nothing was", moved)
			}
		})
	}
}

func TestFamily(t *testing.T) {
	for in, want := range map[string]string{rev1: "web", "web:3": "web", "web": "web", "arn:aws:ecs:r:1:task-definition/web": "web"} {
		if got := schedule.Family(in); got != want {
			t.Errorf("Family(%q) = %q, want %q", in, got, want)
		}
	}
}
