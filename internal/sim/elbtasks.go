package sim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// FailsHealthChecks starts tasks that run, but whose targets the load
// balancer finds unhealthy as h says (TargetUnhealthy(ResponseCode
// Mismatch, 404) for a phantom route); ECS stops each as failing the ELB
// health checks, its essential container writing logs, until the circuit
// breaker trips.
func FailsHealthChecks(h TargetHealth, logs ...string) Rollout {
	return Rollout{Outcome: OutcomeUnhealthyTargets, Targets: h, Stop: TaskStop{Logs: logs}}
}

// attachENI gives a task of a service behind a load balancer an awsvpc
// network interface with a private address of its own, which its targets
// name. s.mu is held.
func (s *Sim) attachENI(svc *service, t *ecstypes.Task) {
	if len(svc.loadBalancers) == 0 || len(t.Attachments) > 0 {
		return
	}
	e := s.elb()
	e.ips++
	ip := fmt.Sprintf("10.0.%d.%d", 1+e.ips/250, 1+e.ips%250)
	t.Attachments = []ecstypes.Attachment{{
		Id: aws.String(fmt.Sprintf("%08x-sim-eni", e.ips)), Type: aws.String("ElasticNetworkInterface"), Status: aws.String("ATTACHED"),
		Details: []ecstypes.KeyValuePair{
			{Name: aws.String("subnetId"), Value: aws.String("subnet-0sim0000000000001")},
			{Name: aws.String("networkInterfaceId"), Value: aws.String(fmt.Sprintf("eni-0sim%013d", e.ips))},
			{Name: aws.String("privateIPv4Address"), Value: aws.String(ip)},
		},
	}}
}

// taskAddress is the task's private address, or "".
func taskAddress(t *ecstypes.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}

// registerTargets registers a started task in the service's target
// groups, as ECS does, with the health h (zero: healthy); with green, a
// task of a blue/green-style deployment, in the alternate target group of
// a load balancer that has one. s.mu is held.
func (s *Sim) registerTargets(svc *service, t *ecstypes.Task, h TargetHealth, green bool) {
	ip := taskAddress(t)
	if ip == "" {
		return
	}
	if h.State == "" {
		h = TargetHealthy()
	}
	for _, lb := range svc.loadBalancers {
		arn := aws.ToString(lb.TargetGroupArn)
		if ac := lb.AdvancedConfiguration; green && ac != nil && aws.ToString(ac.AlternateTargetGroupArn) != "" {
			arn = aws.ToString(ac.AlternateTargetGroupArn)
		}
		tg := s.elb().groups[arn]
		if tg == nil {
			continue
		}
		tg.targets = append(tg.targets, &lbTarget{id: ip, port: aws.ToInt32(lb.ContainerPort), health: h})
	}
}

// deregisterTargets starts the draining of a stopped task's targets.
// s.mu is held.
func (s *Sim) deregisterTargets(svc *service, t *ecstypes.Task, at time.Time) {
	ip := taskAddress(t)
	if ip == "" {
		return
	}
	for _, lb := range svc.loadBalancers {
		arns := []string{aws.ToString(lb.TargetGroupArn)}
		if ac := lb.AdvancedConfiguration; ac != nil {
			arns = append(arns, aws.ToString(ac.AlternateTargetGroupArn))
		}
		for _, arn := range arns {
			s.deregisterIn(arn, ip, at)
		}
	}
}

// deregisterIn starts the draining of ip's targets in one target group.
// s.mu is held.
func (s *Sim) deregisterIn(arn, ip string, at time.Time) {
	if tg := s.elb().groups[arn]; tg != nil {
		for _, x := range tg.targets {
			if x.id == ip && x.deregistered.IsZero() {
				x.deregistered = at
			}
		}
	}
}

// stepUnhealthyTargets stops d's running task, whose targets failed the
// health checks since the last step, counts it against the circuit
// breaker, and unless that tripped starts the next one.
func (s *Sim) stepUnhealthyTargets(svc *service, d *deployment, at time.Time) {
	tg := ""
	if len(svc.loadBalancers) > 0 {
		tg = aws.ToString(svc.loadBalancers[0].TargetGroupArn)
	}
	for _, t := range svc.cluster.tasks {
		if aws.ToString(t.StartedBy) != d.id || aws.ToString(t.DesiredStatus) != "RUNNING" {
			continue
		}
		s.stopTasks(svc, d, 1, at, "Task failed ELB health checks in (target-group "+tg+")")
		if td, ok := s.lookupTaskDef(d.taskDef); ok && len(td.td.ContainerDefinitions) > 0 {
			s.writeLogs(td.td.ContainerDefinitions[0], taskID(t), at, d.r.Stop.Logs)
		}
		d.failed++
		s.event(svc, at, fmt.Sprintf("(service %s, taskSet %s) has begun draining connections on 1 tasks.", svc.name, d.id))
		s.event(svc, at, fmt.Sprintf("(service %s) deregistered 1 targets in (target-group %s)", svc.name, tg))
		if s.tripBreaker(svc, d, at) {
			return
		}
		break
	}
	t := s.startTask(svc, d, at)
	s.event(svc, at, fmt.Sprintf("(service %s) has started 1 tasks: (task %s).", svc.name, taskID(t)))
	d.next = at.Add(d.r.TaskStart)
}

// DescribeTargetGroupAttributes describes a target group's attributes, of
// which the simulator keeps the deregistration delay.
func (s *Sim) DescribeTargetGroupAttributes(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeTargetGroupAttributes"); err != nil {
		return nil, err
	}
	tg := s.elb().groups[aws.ToString(in.TargetGroupArn)]
	if tg == nil {
		return nil, apiError("TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", aws.ToString(in.TargetGroupArn)))
	}
	return &elasticloadbalancingv2.DescribeTargetGroupAttributesOutput{Attributes: []elbtypes.TargetGroupAttribute{
		{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(int(tg.delay / time.Second)))},
		{Key: aws.String("stickiness.enabled"), Value: aws.String("false")},
		{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String("round_robin")},
	}}, nil
}

// SetHealthCheckPath changes the health check path of the target group
// named name, as `aws elbv2 modify-target-group --health-check-path` does.
func (s *Sim) SetHealthCheckPath(name, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.elb()
	for _, a := range e.order {
		if tg := e.groups[a]; aws.ToString(tg.tg.TargetGroupName) == name {
			tg.tg.HealthCheckPath = aws.String(path)
			return
		}
	}
	panic("sim: no target group " + name)
}
