package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// maxLogGroupPages bounds the prefix search: a name shared as a prefix by
// thousands of groups is not worth a slow preflight.
const maxLogGroupPages = 20

// awslogsTarget is where one container's awslogs driver writes.
type awslogsTarget struct {
	container, group, region string
	create                   bool // awslogs-create-group: the agent creates a missing group
}

func awslogsTargets(td *ecstypes.TaskDefinition, defaultRegion string) []awslogsTarget {
	var out []awslogsTarget
	for _, c := range td.ContainerDefinitions {
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			continue
		}
		t := awslogsTarget{
			container: aws.ToString(c.Name),
			group:     lc.Options["awslogs-group"],
			region:    lc.Options["awslogs-region"],
			create:    strings.EqualFold(lc.Options["awslogs-create-group"], "true"),
		}
		if t.region == "" {
			t.region = defaultRegion
		}
		out = append(out, t)
	}
	return out
}

// checkLogGroups catches the runbook's "CloudWatch log silence": a container
// whose awslogs-group does not exist in its awslogs-region.
func (s *serviceFacts) checkLogGroups(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	// What the run would register: a file may change roles, secrets and
	// log groups.
	td := s.next.get(ctx)
	if td.taskDef == nil {
		return skip("task definition unknown: %s", td.why)
	}
	targets := awslogsTargets(td.taskDef, s.r.region())
	if len(targets) == 0 {
		return skip("no container of %s logs with awslogs", shortTaskDef(aws.ToString(td.taskDef.TaskDefinitionArn)))
	}
	var ok, problems []string
	var firstMissing *awslogsTarget
	for i, t := range targets {
		if t.group == "" {
			problems = append(problems, fmt.Sprintf("container %s uses awslogs without awslogs-group", t.container))
			if firstMissing == nil {
				firstMissing = &targets[i]
			}
			continue
		}
		exists, err := s.r.logGroupExists(ctx, t.region, t.group)
		if err != nil {
			c := s.r.awsFail(err, "describe log group %s in %s", t.group, t.region)
			c.Status = event.StatusWarn
			return c
		}
		switch {
		case exists:
			ok = append(ok, fmt.Sprintf("%s → %s (%s)", t.container, t.group, t.region))
		case t.create:
			ok = append(ok, fmt.Sprintf("%s → %s (%s) will be created on first start (awslogs-create-group)", t.container, t.group, t.region))
		default:
			problems = append(problems, fmt.Sprintf("container %s logs to %s in %s, which does not exist", t.container, t.group, t.region))
			if firstMissing == nil {
				firstMissing = &targets[i]
			}
		}
	}
	if len(problems) > 0 {
		return fail(runbook.LogsGroupMissing,
			map[string]string{"container": firstMissing.container, "group": firstMissing.group, "region": firstMissing.region},
			"%s", strings.Join(problems, "; "))
	}
	return pass("%s", strings.Join(ok, "; "))
}

// logGroupFact is whether a log group exists, or why that is unknown.
type logGroupFact struct {
	exists bool
	err    error
}

// logGroupExists looks for name exactly among the groups it prefixes, once
// per run for each group.
func (r *runner) logGroupExists(ctx context.Context, region, name string) (bool, error) {
	f := r.logGroups.get(ctx, region+"\x00"+name, func(ctx context.Context) logGroupFact {
		exists, err := r.findLogGroup(ctx, region, name)
		return logGroupFact{exists, err}
	})
	return f.exists, f.err
}

func (r *runner) findLogGroup(ctx context.Context, region, name string) (bool, error) {
	client := r.aws.LogsIn(region)
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)}
	for range maxLogGroupPages {
		out, err := client.DescribeLogGroups(ctx, in)
		if err != nil {
			return false, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return true, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return false, nil
		}
		in.NextToken = out.NextToken
	}
	return false, fmt.Errorf("log group %s: more than %d pages of groups share its prefix", name, maxLogGroupPages)
}
