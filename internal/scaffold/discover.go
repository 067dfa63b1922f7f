// Package scaffold writes a starting omdeploy.yaml for `omdeploy init`: a
// commented template, or one filled from services already running in ECS.
package scaffold

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// ECSAPI is what Discover needs of ECS.
type ECSAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

var _ ECSAPI = (*ecs.Client)(nil)

// ErrServiceMissing is returned when a named service does not exist (or
// was deleted) in the cluster.
var ErrServiceMissing = errors.New("service not found")

// describeBatch is DescribeServices' limit on services per call.
const describeBatch = 10

// Service is what init learned about one live service.
type Service struct {
	Cluster, Service string
	TaskDefinition   string // ARN of the revision the service runs
	AccountID        string // from the task definition's ARN
	Container        string // the container deploy should update
	Containers       []Container
	Secrets          int    // secrets the task definition references
	HealthPath       string // a path found in a container health check, e.g. /healthz
	ClusterARN       string // the service's cluster, which scheduled rules target
	// Scheduled are the EventBridge rules found running the service's
	// family; the caller fills them in (see internal/schedule.Find).
	Scheduled []string
}

// Container is one container of the service's task definition.
type Container struct {
	Name, Image         string
	Essential           bool
	LogGroup, LogRegion string // awslogs options; empty: another driver
}

// Discover describes the named services of cluster and the task definition
// each runs, in the order given.
func Discover(ctx context.Context, api ECSAPI, cluster string, names []string) ([]Service, error) {
	found := map[string]ecstypes.Service{}
	for start := 0; start < len(names); start += describeBatch {
		batch := names[start:min(start+describeBatch, len(names))]
		out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
		if err != nil {
			return nil, fmt.Errorf("describe services in cluster %s: %w", cluster, err)
		}
		for _, s := range out.Services {
			if aws.ToString(s.Status) != "INACTIVE" {
				found[aws.ToString(s.ServiceName)] = s
			}
		}
	}
	services := make([]Service, 0, len(names))
	for _, name := range names {
		s, ok := found[name]
		if !ok {
			// A full ARN comes back under its short name.
			s, ok = found[shortName(name)]
		}
		if !ok {
			return nil, fmt.Errorf("service %s in cluster %s: %w", name, cluster, ErrServiceMissing)
		}
		svc, err := describe(ctx, api, cluster, s)
		if err != nil {
			return nil, err
		}
		services = append(services, svc)
	}
	return services, nil
}

func describe(ctx context.Context, api ECSAPI, cluster string, s ecstypes.Service) (Service, error) {
	name := aws.ToString(s.ServiceName)
	svc := Service{Cluster: cluster, Service: name, TaskDefinition: aws.ToString(s.TaskDefinition), ClusterARN: aws.ToString(s.ClusterArn)}
	if a, err := arn.Parse(svc.TaskDefinition); err == nil {
		svc.AccountID = a.AccountID
	}
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
	if err != nil {
		return svc, fmt.Errorf("describe task definition %s of service %s: %w", svc.TaskDefinition, name, err)
	}
	if out.TaskDefinition == nil {
		return svc, fmt.Errorf("describe task definition %s of service %s: empty answer", svc.TaskDefinition, name)
	}
	for _, c := range out.TaskDefinition.ContainerDefinitions {
		ct := Container{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image), Essential: c.Essential == nil || *c.Essential}
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			ct.LogGroup, ct.LogRegion = lc.Options["awslogs-group"], lc.Options["awslogs-region"]
		}
		svc.Containers = append(svc.Containers, ct)
		svc.Secrets += len(c.Secrets)
		if svc.HealthPath == "" && c.HealthCheck != nil {
			svc.HealthPath = healthPath(c.HealthCheck.Command)
		}
	}
	svc.Container = pickContainer(svc.Containers)
	return svc, nil
}

// pickContainer is the one deploy updates: the only container, else the
// first essential one (sidecars are usually not essential).
func pickContainer(cs []Container) string {
	for _, c := range cs {
		if c.Essential {
			return c.Name
		}
	}
	if len(cs) > 0 {
		return cs[0].Name
	}
	return ""
}

var urlPath = lazyre.New(`https?://[^/\s"']+(/[^\s"'|;&]*)`)

// healthPath finds the path a container health check requests, e.g.
// "curl -f http://localhost:8080/healthz || exit 1" gives /healthz.
func healthPath(command []string) string {
	m := urlPath().FindStringSubmatch(strings.Join(command, " "))
	if m == nil || m[1] == "/" {
		return ""
	}
	return m[1]
}

func shortName(nameOrARN string) string {
	if i := strings.LastIndex(nameOrARN, "/"); i >= 0 && strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN[i+1:]
	}
	return nameOrARN
}
