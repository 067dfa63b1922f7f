package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/result"
)

// statusEvents is how many recent service events Status shows.
const statusEvents = 5

// The types of `omdeploy status --output json`. The JSON contract owns them
// (the document's status section), so their fields change there, in
// internal/result, with the schema.
type (
	// ServiceStatus is where one service stands now, and how it differs
	// from the config.
	ServiceStatus = result.ServiceStatus
	// ContainerImage is one container of the running task definition.
	ContainerImage = result.ContainerImage
	// DeploymentStatus is one of a service's deployments.
	DeploymentStatus = result.DeploymentStatus
	// StatusEvent is a service event.
	StatusEvent = result.StatusEvent
)

// Status describes each service: its task definition and container images,
// its deployments with counts and rollout state, its latest events, and
// drift from the config (a cluster or service that does not exist, a
// configured container the task definition lacks). Services of one cluster
// are described 10 per call. Drift is not an error; the error joins the AWS
// calls that failed.
func Status(ctx context.Context, opts Options) ([]ServiceStatus, error) {
	opts = opts.withDefaults()
	if opts.ECS == nil {
		return nil, errors.New("status: no ECS client")
	}
	out := make([]ServiceStatus, len(opts.Services))
	byCluster := map[string][]int{}
	var clusters []string
	for i, s := range opts.Services {
		name := s.Name
		if name == "" {
			name = s.Service
		}
		out[i] = ServiceStatus{Name: name, Cluster: s.Cluster, Service: s.Service}
		if _, ok := byCluster[s.Cluster]; !ok {
			clusters = append(clusters, s.Cluster)
		}
		byCluster[s.Cluster] = append(byCluster[s.Cluster], i)
	}
	var errs []error
	tds := map[string]*ecstypes.TaskDefinition{}
	for _, cluster := range clusters {
		for batch := range slices.Chunk(byCluster[cluster], maxDescribe) {
			names := make([]string, len(batch))
			for j, i := range batch {
				names[j] = opts.Services[i].Service
			}
			res, err := opts.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: names})
			if err != nil {
				if awsx.Code(err) == awsx.CodeClusterNotFound {
					for _, i := range batch {
						out[i].Drift = append(out[i].Drift, fmt.Sprintf("cluster %s not found in region %s", cluster, orUnknown(opts.Region)))
					}
					continue
				}
				errs = append(errs, fmt.Errorf("status: describe services in cluster %s: %w", cluster, err))
				continue
			}
			for _, i := range batch {
				fillStatus(&out[i], res.Services, opts.Region)
			}
		}
	}
	for i := range out {
		st := &out[i]
		if !st.Found {
			continue
		}
		td, ok := tds[st.TaskDefinition]
		if !ok {
			res, err := opts.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(st.TaskDefinition)})
			if err != nil {
				errs = append(errs, fmt.Errorf("status: describe task definition %s: %w", st.TaskDefinition, err))
				tds[st.TaskDefinition] = nil
				continue
			}
			td = res.TaskDefinition
			tds[st.TaskDefinition] = td
		}
		if td != nil {
			fillContainers(st, *td, opts.Services[i])
		}
	}
	return out, errors.Join(errs...)
}

func fillStatus(st *ServiceStatus, services []ecstypes.Service, region string) {
	var svc ecstypes.Service
	for _, s := range services {
		if sameName(aws.ToString(s.ServiceName), aws.ToString(s.ServiceArn), st.Service) && active(s) {
			svc, st.Found = s, true
		}
	}
	if !st.Found {
		st.Drift = append(st.Drift, fmt.Sprintf("service %s not found in cluster %s, region %s", st.Service, st.Cluster, orUnknown(region)))
		return
	}
	st.TaskDefinition = aws.ToString(svc.TaskDefinition)
	st.Desired, st.Running, st.Pending = svc.DesiredCount, svc.RunningCount, svc.PendingCount
	for _, d := range svc.Deployments {
		st.Deployments = append(st.Deployments, DeploymentStatus{
			ID: aws.ToString(d.Id), Status: aws.ToString(d.Status), RolloutState: string(d.RolloutState),
			RolloutReason: aws.ToString(d.RolloutStateReason), TaskDefinition: aws.ToString(d.TaskDefinition),
			Desired: d.DesiredCount, Running: d.RunningCount, Pending: d.PendingCount, Failed: d.FailedTasks,
			CreatedAt: aws.ToTime(d.CreatedAt), UpdatedAt: aws.ToTime(d.UpdatedAt),
		})
	}
	for _, e := range svc.Events[:min(len(svc.Events), statusEvents)] {
		st.Events = append(st.Events, StatusEvent{At: aws.ToTime(e.CreatedAt), Message: aws.ToString(e.Message)})
	}
}

func fillContainers(st *ServiceStatus, td ecstypes.TaskDefinition, s config.Service) {
	names := make([]string, 0, len(td.ContainerDefinitions))
	for _, c := range td.ContainerDefinitions {
		st.Containers = append(st.Containers, ContainerImage{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image), Essential: aws.ToBool(c.Essential)})
		names = append(names, aws.ToString(c.Name))
	}
	switch {
	case s.Container != "" && !slices.Contains(names, s.Container):
		st.Drift = append(st.Drift, fmt.Sprintf("container %q from the config is not in %s (containers: %s)", s.Container, st.TaskDefinition, strings.Join(names, ", ")))
	case s.Container == "" && len(names) > 1:
		st.Drift = append(st.Drift, fmt.Sprintf("the config names no container and %s has %d (%s): a deploy cannot tell which to update", st.TaskDefinition, len(names), strings.Join(names, ", ")))
	}
}
