package sim

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// maxDescribeServiceRevisions is how many ARNs DescribeServiceRevisions
// accepts, as in AWS.
const maxDescribeServiceRevisions = 20

// DescribeServiceRevisions describes up to 20 service revisions by ARN:
// the task definition each service deployment moved its service to.
// Unknown ARNs are MISSING failures.
func (s *Sim) DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsInput, _ ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sdCall(ctx, "DescribeServiceRevisions"); err != nil {
		return nil, err
	}
	if len(in.ServiceRevisionArns) == 0 || len(in.ServiceRevisionArns) > maxDescribeServiceRevisions {
		return nil, apiError("InvalidParameterException", "serviceRevisionArns must have between 1 and 20 items")
	}
	s.advance()
	out := &ecs.DescribeServiceRevisionsOutput{}
	for _, arn := range in.ServiceRevisionArns {
		sd := s.findRevision(arn)
		if sd == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.ServiceRevisions = append(out.ServiceRevisions, ecstypes.ServiceRevision{
			ServiceRevisionArn: aws.String(arn), ServiceArn: aws.String(sd.svc.arn), ClusterArn: aws.String(sd.svc.cluster.arn),
			TaskDefinition: aws.String(sd.dep.taskDef), CreatedAt: aws.Time(sd.created),
		})
	}
	return out, nil
}

// findRevision finds the service deployment that created the service
// revision arn: each one's target revision is new. s.mu is held.
func (s *Sim) findRevision(arn string) *serviceDeployment {
	return s.findSDWhere(func(sd *serviceDeployment) bool { return sd.targetRev == arn })
}
