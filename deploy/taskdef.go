package deploy

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// describeTaskDef returns a task definition with its tags, which a new
// revision must carry too.
func (sr *serviceRun) describeTaskDef(ctx context.Context, name string) (ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	out, err := sr.r.opts.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(name), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		return ecstypes.TaskDefinition{}, nil, fmt.Errorf("describe task definition %s: %w", name, err)
	}
	if out.TaskDefinition == nil {
		return ecstypes.TaskDefinition{}, nil, fmt.Errorf("describe task definition %s: empty answer", name)
	}
	sr.remember(*out.TaskDefinition)
	return *out.TaskDefinition, out.Tags, nil
}

// taskDefinition returns the task definition arn, described once per
// service run.
func (sr *serviceRun) taskDefinition(ctx context.Context, arn string) (ecstypes.TaskDefinition, error) {
	if td, ok := sr.tds[arn]; ok {
		return td, nil
	}
	td, _, err := sr.describeTaskDef(ctx, arn)
	return td, err
}

func (sr *serviceRun) remember(td ecstypes.TaskDefinition) {
	sr.tds[aws.ToString(td.TaskDefinitionArn)] = td
}

// nextRevision names the revision RegisterTaskDefinition would create: one
// past the family's latest.
func (sr *serviceRun) nextRevision(ctx context.Context, family string) (string, error) {
	out, err := sr.r.opts.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
	if err != nil {
		return "", fmt.Errorf("describe the latest revision of %s: %w", family, err)
	}
	return fmt.Sprintf("%s:%d", family, out.TaskDefinition.Revision+1), nil
}

// parseTaskDef splits "arn:...:task-definition/family:rev" or "family:rev".
func parseTaskDef(s string) (family string, rev int, ok bool) {
	s = s[strings.LastIndex(s, "/")+1:]
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return "", 0, false
	}
	rev, err := strconv.Atoi(s[i+1:])
	if err != nil || rev <= 0 {
		return "", 0, false
	}
	return s[:i], rev, true
}
