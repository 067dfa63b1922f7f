package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// DescribeServices describes up to 10 services of a cluster.
func (s *Sim) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeServices"); err != nil {
		return nil, err
	}
	if len(in.Services) > 10 {
		return nil, apiError("InvalidParameterException", "services cannot have more than 10 items")
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	s.advance()
	out := &ecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		svc := c.services[lastSegment(name)]
		if svc == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", Region, Account, c.name, name)), Reason: aws.String("MISSING")})
			continue
		}
		out.Services = append(out.Services, svc.describe())
	}
	return out, nil
}

func (svc *service) describe() ecstypes.Service {
	out := ecstypes.Service{
		ServiceName: aws.String(svc.name), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(svc.cluster.arn),
		Status: aws.String(svc.status()), TaskDefinition: aws.String(svc.taskDef), DesiredCount: svc.desired,
		LaunchType: ecstypes.LaunchTypeFargate, CreatedAt: aws.Time(svc.created),
		Events: slices.Clone(svc.events), NetworkConfiguration: svc.network,
		LoadBalancers: slices.Clone(svc.loadBalancers),
	}
	if svc.breaker != nil {
		b := *svc.breaker
		out.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &b}
	}
	for _, d := range svc.deployments {
		dd := ecstypes.Deployment{
			Id: aws.String(d.id), Status: aws.String(d.status), TaskDefinition: aws.String(d.taskDef),
			DesiredCount: d.desired, RunningCount: d.running, FailedTasks: d.failed,
			RolloutState: d.state, RolloutStateReason: aws.String(d.reason),
			CreatedAt: aws.Time(d.created), UpdatedAt: aws.Time(d.updated), LaunchType: ecstypes.LaunchTypeFargate,
		}
		if d.status == "PRIMARY" && d.state == ecstypes.DeploymentRolloutStateInProgress && d.r.Outcome != OutcomeUnplaceable {
			dd.PendingCount = max(0, d.desired-d.running)
		}
		if d.status != "PRIMARY" {
			dd.DesiredCount = d.running
		}
		out.RunningCount += dd.RunningCount
		out.PendingCount += dd.PendingCount
		out.Deployments = append(out.Deployments, dd)
	}
	svc.describeSD(&out, svc.cluster.noSD)
	return out
}

// DescribeClusters describes clusters; unknown ones are MISSING failures.
func (s *Sim) DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeClusters"); err != nil {
		return nil, err
	}
	s.advance()
	out := &ecs.DescribeClustersOutput{}
	for _, name := range in.Clusters {
		c := s.clusters[name[strings.LastIndex(name, "/")+1:]]
		if c == nil {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, name)), Reason: aws.String("MISSING")})
			continue
		}
		out.Clusters = append(out.Clusters, ecstypes.Cluster{
			ClusterName: aws.String(c.name), ClusterArn: aws.String(c.arn), Status: aws.String("ACTIVE"),
			ActiveServicesCount: activeServices(c), RunningTasksCount: runningTasks(c),
		})
	}
	return out, nil
}

// activeServices counts the cluster's services that are not deleted.
// s.mu is held.
func activeServices(c *cluster) int32 {
	var n int32
	for _, svc := range c.services {
		if !svc.deleted {
			n++
		}
	}
	return n
}

// runningTasks counts the cluster's RUNNING tasks. s.mu is held.
func runningTasks(c *cluster) int32 {
	var n int32
	for _, t := range c.tasks {
		if aws.ToString(t.LastStatus) == "RUNNING" {
			n++
		}
	}
	return n
}

// DescribeTaskDefinition describes a revision by ARN, "family:rev" or
// "family" (the latest ACTIVE), with its tags when asked.
func (s *Sim) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeTaskDefinition"); err != nil {
		return nil, err
	}
	td, ok := s.lookupTaskDef(aws.ToString(in.TaskDefinition))
	if !ok {
		return nil, apiError("ClientException", "Unable to describe task definition.")
	}
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td.copy()}
	if slices.Contains(in.Include, ecstypes.TaskDefinitionFieldTags) {
		out.Tags = slices.Clone(td.tags)
	}
	return out, nil
}

// RegisterTaskDefinition stores the next revision of the family.
func (s *Sim) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "RegisterTaskDefinition"); err != nil {
		return nil, err
	}
	if aws.ToString(in.Family) == "" || len(in.ContainerDefinitions) == 0 {
		return nil, apiError("ClientException", "Family and containerDefinitions are required.")
	}
	if aws.ToString(in.Memory) == "" {
		for _, c := range in.ContainerDefinitions {
			if c.Memory == nil && c.MemoryReservation == nil {
				return nil, apiError("ClientException", fmt.Sprintf("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", aws.ToString(c.Name)))
			}
		}
	}
	td := s.register(ecstypes.TaskDefinition{
		ContainerDefinitions: slices.Clone(in.ContainerDefinitions), Family: in.Family, Cpu: in.Cpu,
		EnableFaultInjection: in.EnableFaultInjection, EphemeralStorage: in.EphemeralStorage,
		ExecutionRoleArn: in.ExecutionRoleArn, IpcMode: in.IpcMode,
		Memory: in.Memory, NetworkMode: in.NetworkMode, PidMode: in.PidMode, PlacementConstraints: in.PlacementConstraints,
		ProxyConfiguration: in.ProxyConfiguration, RequiresCompatibilities: in.RequiresCompatibilities,
		RuntimePlatform: in.RuntimePlatform, TaskRoleArn: in.TaskRoleArn,
		TrustedExecutionConfiguration: in.TrustedExecutionConfiguration, Volumes: in.Volumes,
	}, slices.Clone(in.Tags))
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &td, Tags: slices.Clone(in.Tags)}, nil
}

// ListTaskDefinitions lists a family's revisions, by family and then
// revision number (so :10 comes after :9), ascending unless Sort is DESC, in
// one page.
func (s *Sim) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "ListTaskDefinitions"); err != nil {
		return nil, err
	}
	status := in.Status
	if status == "" {
		status = ecstypes.TaskDefinitionStatusActive
	}
	var families []string
	for family := range s.families {
		if in.FamilyPrefix == nil || family == *in.FamilyPrefix {
			families = append(families, family)
		}
	}
	slices.Sort(families)
	out := &ecs.ListTaskDefinitionsOutput{}
	for _, family := range families {
		for _, td := range s.families[family] { // in revision order
			if td.td.Status == status {
				out.TaskDefinitionArns = append(out.TaskDefinitionArns, arnOf(td.td))
			}
		}
	}
	if in.Sort == ecstypes.SortOrderDesc {
		slices.Reverse(out.TaskDefinitionArns)
	}
	return out, nil
}

// DeregisterTaskDefinition marks a revision INACTIVE (for tests of "no
// rollback target"; omdeploy never calls it).
func (s *Sim) DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DeregisterTaskDefinition"); err != nil {
		return nil, err
	}
	td, ok := s.lookupTaskDef(aws.ToString(in.TaskDefinition))
	if !ok {
		return nil, apiError("ClientException", "The specified task definition does not exist.")
	}
	td.td.Status = ecstypes.TaskDefinitionStatusInactive
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: td.copy()}, nil
}

// UpdateService starts a deployment when the task definition changes or a
// new deployment is forced, as ECS does; otherwise it changes nothing.
func (s *Sim) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.calledOn(ctx, s.call, "UpdateService", in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if svc.deleted {
		return nil, apiError("ServiceNotActiveException", "Service was not ACTIVE.")
	}
	if in.DesiredCount != nil {
		svc.desired = *in.DesiredCount
	}
	next := svc.taskDef
	if in.TaskDefinition != nil {
		td, ok := s.lookupTaskDef(*in.TaskDefinition)
		if !ok || td.td.Status != ecstypes.TaskDefinitionStatusActive {
			return nil, apiError("ClientException", "TaskDefinition not found.")
		}
		next = arnOf(td.td)
	}
	if next != svc.taskDef || in.ForceNewDeployment {
		now := s.clk.Now()
		d := s.newDeployment(svc, next, s.rolloutFor(svc, next, true), now)
		old := svc.deployments[0]
		s.startDeployment(svc, d)
		s.newServiceDeployment(svc, d, old, now)
	}
	return &ecs.UpdateServiceOutput{Service: ptr(svc.describe())}, nil
}

// DeleteService deletes a service (for tests of a service deleted under a
// deploy; omdeploy never calls it): with Force, or once scaled to zero, as
// ECS requires. Its tasks stop at once and it stays describable as
// INACTIVE; ECS passes through DRAINING while tasks stop, which the
// simulator skips.
func (s *Sim) DeleteService(ctx context.Context, in *ecs.DeleteServiceInput, _ ...func(*ecs.Options)) (*ecs.DeleteServiceOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.calledOn(ctx, s.call, "DeleteService", in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	switch {
	case svc.deleted:
		return nil, apiError("ServiceNotActiveException", "Service was not ACTIVE.")
	case svc.desired > 0 && !aws.ToBool(in.Force):
		return nil, apiError("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
	}
	now := s.clk.Now()
	for _, d := range svc.deployments {
		s.stopTasks(svc, d, d.running, now, "Service deleted")
		d.next, d.replaceAt = time.Time{}, time.Time{}
	}
	svc.desired, svc.deleted = 0, true
	return &ecs.DeleteServiceOutput{Service: ptr(svc.describe())}, nil
}

// ListTasks lists a cluster's tasks by service, startedBy and desired
// status (RUNNING when not given, as ECS does).
func (s *Sim) ListTasks(ctx context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "ListTasks"); err != nil {
		return nil, err
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	s.advance()
	want := string(in.DesiredStatus)
	if want == "" {
		want = "RUNNING"
	}
	out := &ecs.ListTasksOutput{}
	for _, t := range c.tasks {
		switch {
		case aws.ToString(t.DesiredStatus) != want:
		case in.StartedBy != nil && aws.ToString(t.StartedBy) != *in.StartedBy:
		case in.ServiceName != nil && aws.ToString(t.Group) != "service:"+*in.ServiceName:
		default:
			out.TaskArns = append(out.TaskArns, aws.ToString(t.TaskArn))
		}
	}
	if len(out.TaskArns) > 100 {
		out.TaskArns = out.TaskArns[len(out.TaskArns)-100:]
	}
	return out, nil
}

// DescribeTasks describes up to 100 tasks of a cluster.
func (s *Sim) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeTasks"); err != nil {
		return nil, err
	}
	if len(in.Tasks) > 100 {
		return nil, apiError("InvalidParameterException", "tasks cannot have more than 100 items")
	}
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	s.advance()
	out := &ecs.DescribeTasksOutput{}
	for _, want := range in.Tasks {
		found := false
		for _, t := range c.tasks {
			if aws.ToString(t.TaskArn) == want || strings.HasSuffix(aws.ToString(t.TaskArn), "/"+want) {
				cp := *t
				cp.Containers = slices.Clone(t.Containers)
				out.Tasks = append(out.Tasks, cp)
				found = true
				break
			}
		}
		if !found {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(want), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

// cluster resolves a cluster name or ARN. s.mu is held.
func (s *Sim) cluster(name *string) (*cluster, error) {
	n := aws.ToString(name)
	if n == "" {
		n = "default"
	}
	c := s.clusters[n[strings.LastIndex(n, "/")+1:]]
	if c == nil {
		return nil, apiError("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

// copy returns the definition with its own container list, so a caller
// editing a container does not edit the account.
func (td *taskDef) copy() *ecstypes.TaskDefinition {
	c := td.td
	c.ContainerDefinitions = slices.Clone(td.td.ContainerDefinitions)
	return &c
}

// lastSegment is the name at the end of an ARN, or the name itself.
func lastSegment(name string) string { return name[strings.LastIndex(name, "/")+1:] }
