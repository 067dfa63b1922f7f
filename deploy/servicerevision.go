package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// maxDescribeRevisions is how many ARNs one DescribeServiceRevisions call
// accepts.
const maxDescribeRevisions = 20

// ServiceRevisionAPI reads service revisions: the task definition a service
// deployment moved its service from, or to. History and Rollback read it;
// an ECS client without it reads deployments[] instead.
type ServiceRevisionAPI interface {
	DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error)
}

var _ ServiceRevisionAPI = (*ecs.Client)(nil)

// serviceDeploymentReader lists and describes a service's service
// deployments and the task definitions of their revisions.
type serviceDeploymentReader struct {
	sd   ServiceDeploymentAPI
	revs ServiceRevisionAPI
}

// sdReaderOf is the reader of opts.ECS; ok is false when the client lacks
// the operations (a test fake), which is no fallback worth a warning.
func sdReaderOf(opts Options) (serviceDeploymentReader, bool) {
	sd, ok := opts.ECS.(ServiceDeploymentAPI)
	revs, ok2 := opts.ECS.(ServiceRevisionAPI)
	return serviceDeploymentReader{sd: sd, revs: revs}, ok && ok2
}

// recent describes the service's newest limit service deployments, newest
// first: listed (paged as needed), then described 20 ARNs per call. One
// that ListServiceDeployments named but Describe did not know is left out.
func (rd serviceDeploymentReader) recent(ctx context.Context, cluster, service string, limit int) ([]ecstypes.ServiceDeployment, error) {
	var arns []string
	in := &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service), MaxResults: aws.Int32(int32(min(limit, 100)))}
	for len(arns) < limit {
		out, err := rd.sd.ListServiceDeployments(ctx, in)
		switch code := awsx.Code(err); {
		case code == awsx.CodeClusterNotFound || code == "ServiceNotFoundException":
			return nil, fmt.Errorf("list service deployments: service %s %w in cluster %s: %w", service, ErrNotFound, cluster, err)
		case err != nil:
			return nil, fmt.Errorf("list service deployments of %s in cluster %s: %w", service, cluster, err)
		}
		for _, b := range out.ServiceDeployments {
			if len(arns) < limit {
				arns = append(arns, aws.ToString(b.ServiceDeploymentArn))
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	byARN := make(map[string]ecstypes.ServiceDeployment, len(arns))
	for batch := range slices.Chunk(arns, maxDescribeSD) {
		out, err := rd.sd.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: batch})
		if err != nil {
			return nil, fmt.Errorf("describe service deployments of %s in cluster %s: %w", service, cluster, err)
		}
		for _, sd := range out.ServiceDeployments {
			byARN[aws.ToString(sd.ServiceDeploymentArn)] = sd
		}
	}
	sds := make([]ecstypes.ServiceDeployment, 0, len(arns))
	for _, arn := range arns {
		if sd, ok := byARN[arn]; ok {
			sds = append(sds, sd)
		}
	}
	return sds, nil
}

// taskDefinitions maps the source and target revisions of sds to their
// task definitions, 20 revisions per DescribeServiceRevisions call.
func (rd serviceDeploymentReader) taskDefinitions(ctx context.Context, sds []ecstypes.ServiceDeployment) (map[string]string, error) {
	var arns []string
	add := func(r *ecstypes.ServiceRevisionSummary) {
		if a := aws.ToString(r.Arn); a != "" && !slices.Contains(arns, a) {
			arns = append(arns, a)
		}
	}
	for _, sd := range sds {
		if sd.TargetServiceRevision != nil {
			add(sd.TargetServiceRevision)
		}
		for i := range sd.SourceServiceRevisions {
			add(&sd.SourceServiceRevisions[i])
		}
	}
	tds := make(map[string]string, len(arns))
	for batch := range slices.Chunk(arns, maxDescribeRevisions) {
		out, err := rd.revs.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: batch})
		if err != nil {
			return nil, fmt.Errorf("describe service revisions: %w", err)
		}
		for _, r := range out.ServiceRevisions {
			tds[aws.ToString(r.ServiceRevisionArn)] = aws.ToString(r.TaskDefinition)
		}
	}
	return tds, nil
}

// sourceRevision is the revision sd moved its service from: the first of
// its sources (one unless it interrupted another deployment), or "" for a
// service's first deployment.
func sourceRevision(sd ecstypes.ServiceDeployment) string {
	if len(sd.SourceServiceRevisions) == 0 {
		return ""
	}
	return aws.ToString(sd.SourceServiceRevisions[0].Arn)
}

// targetRevision is the revision sd moves its service to.
func targetRevision(sd ecstypes.ServiceDeployment) string {
	if sd.TargetServiceRevision == nil {
		return ""
	}
	return aws.ToString(sd.TargetServiceRevision.Arn)
}
