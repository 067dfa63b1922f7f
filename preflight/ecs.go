package preflight

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// ECS statuses and rollout states the checks compare against.
const (
	statusActive      = "ACTIVE"
	deploymentPrimary = "PRIMARY"
	reasonMissing     = "MISSING"
)

type clusterFact struct {
	cluster *ecstypes.Cluster // nil when missing or err
	err     error
}

type serviceFact struct {
	service        *ecstypes.Service // nil when missing or err
	clusterMissing bool              // DescribeServices said the cluster does not exist
	err            error
}

type taskDefFact struct {
	taskDef *ecstypes.TaskDefinition
	why     string // why there is none: the service is missing, or a call failed
}

// nextFact is the revision the run would register, built by the engine's
// builder (taskdef.Next) from the live definition, the service's task
// definition file and the run's image change.
type nextFact struct {
	taskDef *ecstypes.TaskDefinition
	why     string // why there is none: the live one is unknown, or the change does not apply
}

func newServiceFacts(r *runner, svc config.Service) *serviceFacts {
	s := &serviceFacts{r: r, svc: svc, cluster: &lazy[clusterFact]{}}
	s.cluster.fetch = s.fetchCluster
	s.service.fetch = s.fetchService
	s.taskDef.fetch = s.fetchTaskDef
	s.next.fetch = s.fetchNext
	return s
}

func (s *serviceFacts) fetchCluster(ctx context.Context) clusterFact {
	out, err := s.r.aws.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{s.svc.Cluster}})
	if err != nil {
		return clusterFact{err: err}
	}
	for i := range out.Clusters {
		if c := &out.Clusters[i]; aws.ToString(c.ClusterName) == s.svc.Cluster || aws.ToString(c.ClusterArn) == s.svc.Cluster {
			return clusterFact{cluster: c}
		}
	}
	return clusterFact{}
}

func (s *serviceFacts) fetchService(ctx context.Context) serviceFact {
	out, err := s.r.aws.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.svc.Cluster), Services: []string{s.svc.Service}})
	if err != nil {
		if awsx.Code(err) == awsx.CodeClusterNotFound {
			return serviceFact{clusterMissing: true}
		}
		return serviceFact{err: err}
	}
	for i := range out.Services {
		if v := &out.Services[i]; aws.ToString(v.ServiceName) == s.svc.Service || aws.ToString(v.ServiceArn) == s.svc.Service {
			return serviceFact{service: v}
		}
	}
	return serviceFact{}
}

func (s *serviceFacts) fetchTaskDef(ctx context.Context) taskDefFact {
	sf := s.service.get(ctx)
	switch {
	case sf.err != nil:
		return taskDefFact{why: "the service could not be described (see ecs.service)"}
	case sf.service == nil:
		return taskDefFact{why: "the service was not found (see ecs.service)"}
	}
	arn := aws.ToString(sf.service.TaskDefinition)
	out, err := s.r.aws.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		s.r.log.Debug("describe task definition failed", logService, s.svc.Name, logRequestID, awsx.RequestID(err), logErr, err)
		return taskDefFact{why: fmt.Sprintf("describe task definition %s: %v", shortTaskDef(arn), err)}
	}
	if out.TaskDefinition == nil {
		return taskDefFact{why: "describe task definition " + shortTaskDef(arn) + ": empty answer"}
	}
	return taskDefFact{taskDef: out.TaskDefinition}
}

// fetchNext builds the revision a deploy would register, as the engine
// does: the task definition file when the service has one (the live
// definition only lends it the family), else the live definition, with the
// run's --image and --tag applied.
func (s *serviceFacts) fetchNext(ctx context.Context) nextFact {
	live := s.taskDef.get(ctx)
	if live.taskDef == nil {
		return nextFact{why: live.why}
	}
	file := s.r.opts.TaskDefinitions[s.svc.Name]
	rev, err := taskdef.Next(*live.taskDef, nil, file, s.svc.Container, s.r.opts.Change)
	if err != nil {
		// Which container to change is the config's question, and the
		// deploy stops on it as a config failure (exit 2) before it
		// registers anything; preflight does not turn it into its own.
		return nextFact{why: err.Error()}
	}
	name := aws.ToString(live.taskDef.TaskDefinitionArn)
	if file != nil {
		name = aws.ToString(rev.Input.Family) + " from " + filepath.Base(s.svc.TaskDefinition)
	}
	return nextFact{taskDef: rev.TaskDefinition(name)}
}

func (s *serviceFacts) vars() map[string]string {
	return map[string]string{"cluster": s.svc.Cluster, "service": s.svc.Service, "region": s.r.region()}
}

func (s *serviceFacts) checkCluster(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	f := s.cluster.get(ctx)
	region := s.r.region()
	switch {
	case f.err != nil:
		return s.r.awsFail(f.err, "describe cluster %s in %s", s.svc.Cluster, region)
	case f.cluster == nil:
		return fail(runbook.ECSClusterMissing, s.vars(), "cluster %s not found in %s", s.svc.Cluster, region)
	case aws.ToString(f.cluster.Status) != statusActive:
		return fail(runbook.ECSClusterMissing, s.vars(), "cluster %s in %s is %s, not ACTIVE", s.svc.Cluster, region, aws.ToString(f.cluster.Status))
	}
	return pass("cluster %s is ACTIVE in %s (%d services, %d running tasks)", s.svc.Cluster, region, f.cluster.ActiveServicesCount, f.cluster.RunningTasksCount)
}

func (s *serviceFacts) checkService(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	f := s.service.get(ctx)
	region := s.r.region()
	switch {
	case f.clusterMissing:
		return skip("cluster %s not found in %s; not checked (see ecs.cluster)", s.svc.Cluster, region)
	case f.err != nil:
		return s.r.awsFail(f.err, "describe service %s in cluster %s (%s)", s.svc.Service, s.svc.Cluster, region)
	case f.service == nil:
		return fail(runbook.ECSServiceMissing, s.vars(), "service %s not found in cluster %s in %s", s.svc.Service, s.svc.Cluster, region)
	case aws.ToString(f.service.Status) != statusActive:
		return fail(runbook.ECSServiceMissing, s.vars(), "service %s in cluster %s (%s) is %s, not ACTIVE", s.svc.Service, s.svc.Cluster, region, aws.ToString(f.service.Status))
	}
	v := f.service
	// CodeDeploy and external controllers deploy through their own APIs:
	// UpdateService with a task definition is refused or ignored, so stop
	// here, before a revision is registered for nothing.
	if c := v.DeploymentController; c != nil && c.Type != "" && c.Type != ecstypes.DeploymentControllerTypeEcs {
		vars := s.vars()
		vars["controller"] = string(c.Type)
		return fail(runbook.ECSDeploymentController, vars, "service %s in cluster %s (%s) uses the %s deployment controller; omdeploy deploys only services with the ECS controller",
			s.svc.Service, s.svc.Cluster, region, c.Type)
	}
	if d := inProgress(v.Deployments); d != "" {
		if s.r.opts.AllowInProgress {
			return pass("ACTIVE; %s; deploying over it as asked (--force)", d)
		}
		return fail(runbook.ECSDeploymentInProgress, s.vars(), "service %s in cluster %s (%s): %s", s.svc.Service, s.svc.Cluster, region, d)
	}
	return pass("ACTIVE in cluster %s (%s), task definition %s, %d/%d tasks running",
		s.svc.Cluster, region, shortTaskDef(aws.ToString(v.TaskDefinition)), v.RunningCount, v.DesiredCount)
}

// inProgress describes the deployment still rolling out, or returns "": a
// PRIMARY deployment that is IN_PROGRESS, or more than one deployment (the
// old one is still draining).
func inProgress(ds []ecstypes.Deployment) string {
	for _, d := range ds {
		if aws.ToString(d.Status) == deploymentPrimary && d.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
			return fmt.Sprintf("deployment %s is IN_PROGRESS (%d/%d tasks running, task definition %s)",
				aws.ToString(d.Id), d.RunningCount, d.DesiredCount, shortTaskDef(aws.ToString(d.TaskDefinition)))
		}
	}
	if len(ds) > 1 {
		ids := make([]string, 0, len(ds))
		for _, d := range ds {
			ids = append(ids, aws.ToString(d.Id)+" "+aws.ToString(d.Status))
		}
		return fmt.Sprintf("%d deployments are active (%s): one is still rolling out", len(ds), strings.Join(ids, ", "))
	}
	return ""
}

// shortTaskDef turns a task-definition ARN into family:revision.
func shortTaskDef(arn string) string {
	if _, after, ok := strings.Cut(arn, ":task-definition/"); ok {
		return after
	}
	return arn
}
