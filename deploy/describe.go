package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// maxDescribe is how many services one DescribeServices call accepts.
const maxDescribe = 10

// describeService returns the service, or an error wrapping ErrNotFound that
// names the cluster or service and the region when either does not exist.
func (sr *serviceRun) describeService(ctx context.Context) (ecstypes.Service, error) {
	out, err := sr.r.opts.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(sr.s.Cluster), Services: []string{sr.s.Service},
	})
	if err != nil {
		if awsx.Code(err) == awsx.CodeClusterNotFound {
			return ecstypes.Service{}, clusterNotFound(sr.s.Cluster, sr.r.opts.Region, err)
		}
		return ecstypes.Service{}, fmt.Errorf("describe service %s in cluster %s: %w", sr.s.Service, sr.s.Cluster, err)
	}
	for _, svc := range out.Services {
		if sameName(aws.ToString(svc.ServiceName), aws.ToString(svc.ServiceArn), sr.s.Service) && active(svc) {
			sr.last = svc
			return svc, nil
		}
	}
	return ecstypes.Service{}, serviceNotFound(sr.s.Service, sr.s.Cluster, sr.r.opts.Region)
}

func clusterNotFound(cluster, region string, err error) error {
	return fmt.Errorf("cluster %s %w in region %s: %w", cluster, ErrNotFound, orUnknown(region), err)
}

func serviceNotFound(service, cluster, region string) error {
	return fmt.Errorf("service %s %w in cluster %s, region %s (DescribeServices: MISSING or INACTIVE)", service, ErrNotFound, cluster, orUnknown(region))
}

// active is false for a deleted service, which ECS keeps describing as
// INACTIVE for a while.
func active(svc ecstypes.Service) bool {
	st := aws.ToString(svc.Status)
	return st == "" || st == "ACTIVE"
}

// sameName matches a configured service name (or ARN) with a described one.
func sameName(name, arn, want string) bool {
	return want == name || want == arn
}

func orUnknown(region string) string {
	if region == "" {
		return "(unknown region)"
	}
	return region
}

// primary returns the service's PRIMARY deployment.
func primary(svc ecstypes.Service) (ecstypes.Deployment, bool) {
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d, true
		}
	}
	return ecstypes.Deployment{}, false
}

// deploymentByID finds a deployment of svc.
func deploymentByID(svc ecstypes.Service, id string) (ecstypes.Deployment, bool) {
	for _, d := range svc.Deployments {
		if aws.ToString(d.Id) == id {
			return d, true
		}
	}
	return ecstypes.Deployment{}, false
}
