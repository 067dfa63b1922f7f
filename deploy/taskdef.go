package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/taskdef"
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

// register registers p's revision. When the call fails in a way that may
// have registered it all the same (awsx.Ambiguous: the answer was lost),
// it reuses the family's newest ACTIVE revision if that is newer than cur
// and identical to p's, instead of registering a second copy.
func (sr *serviceRun) register(ctx context.Context, p plan, cur string) (ecstypes.TaskDefinition, error) {
	family := aws.ToString(p.input.Family)
	out, err := sr.r.opts.ECS.RegisterTaskDefinition(ctx, p.input)
	if err == nil {
		sr.remember(*out.TaskDefinition)
		return *out.TaskDefinition, nil
	}
	err = fmt.Errorf("register a new revision of %s: %w", family, err)
	if !awsx.Ambiguous(err) {
		return ecstypes.TaskDefinition{}, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	td, found, rerr := sr.registered(rctx, p, cur)
	switch {
	case rerr != nil:
		return ecstypes.TaskDefinition{}, fmt.Errorf("%w; reading the family back failed too (%v): a revision may have been registered, the service was not changed", err, rerr)
	case !found:
		return ecstypes.TaskDefinition{}, fmt.Errorf("%w; read back: no such revision was registered, the service was not changed", err)
	}
	sr.warn("RegisterTaskDefinition got no answer (%v), but %s, registered just now, is identical: using it", err, aws.ToString(td.TaskDefinitionArn))
	return td, nil
}

// registered finds the family's newest ACTIVE revision and reports whether
// it is newer than cur and registers exactly what p would.
func (sr *serviceRun) registered(ctx context.Context, p plan, cur string) (ecstypes.TaskDefinition, bool, error) {
	family := aws.ToString(p.input.Family)
	in := &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive, Sort: ecstypes.SortOrderDesc}
	_, newestRev, _ := taskdef.ParseRevision(cur)
	newest := ""
	// The newest is on the first page when the order is honoured; every
	// page is read in case it is not, as with emulators.
	for range 20 {
		list, err := sr.r.opts.ECS.ListTaskDefinitions(ctx, in)
		if err != nil {
			return ecstypes.TaskDefinition{}, false, fmt.Errorf("list revisions of %s: %w", family, err)
		}
		for _, arn := range list.TaskDefinitionArns { // the prefix also matches longer family names
			if f, r, ok := taskdef.ParseRevision(arn); ok && f == family && r > newestRev {
				newest, newestRev = arn, r
			}
		}
		if list.NextToken == nil {
			break
		}
		in.NextToken = list.NextToken
	}
	if newest == "" {
		return ecstypes.TaskDefinition{}, false, nil
	}
	td, tags, err := sr.describeTaskDef(ctx, newest)
	if err != nil {
		return ecstypes.TaskDefinition{}, false, err
	}
	return td, sameRevision(td, tags, p.input), nil
}
