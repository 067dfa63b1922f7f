package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Bounds of the task reads: DescribeTasks takes at most 100 tasks; the
// digest comparison reads at most comparedTasks running tasks, ten calls,
// which says as much as more would, within compareTimeout, since it comes
// after the rollout succeeded and a slow answer must not hold the deploy.
const (
	describeBatch  = 100
	comparedTasks  = 1000
	compareTimeout = 20 * time.Second
)

// deploymentTasks lists the tasks of deployment id (ECS starts them with
// startedBy set to its ID) with desired status, at most limit, and
// describes them, one DescribeTasks per 100. total is how many the list
// held, which may be more than limit.
func (sr *serviceRun) deploymentTasks(ctx context.Context, id string, status ecstypes.DesiredStatus, limit int) (tasks []ecstypes.Task, total int, err error) {
	api := sr.r.opts.ECS
	in := &ecs.ListTasksInput{Cluster: aws.String(sr.s.Cluster), StartedBy: aws.String(id), DesiredStatus: status}
	var arns []string
	for {
		list, err := api.ListTasks(ctx, in)
		if err != nil {
			return nil, 0, fmt.Errorf("list %s tasks of %s: %w", strings.ToLower(string(status)), id, err)
		}
		arns = append(arns, list.TaskArns...)
		if list.NextToken == nil || len(arns) >= limit {
			break
		}
		in.NextToken = list.NextToken
	}
	total = len(arns)
	arns = arns[:min(len(arns), limit)]
	for batch := range slices.Chunk(arns, describeBatch) {
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(sr.s.Cluster), Tasks: batch})
		if err != nil {
			return nil, total, fmt.Errorf("describe %s tasks of %s: %w", strings.ToLower(string(status)), id, err)
		}
		tasks = append(tasks, out.Tasks...)
	}
	return tasks, total, nil
}

// compareDigests reads, once, the digests the running tasks of deployment
// id report (containers[].imageDigest) and sets them against the planned
// ones in the service's result. A container that runs another digest than
// planned is a warning: a mutable tag moved between preflight and the
// pull. A read that fails is a warning too; the deploy has succeeded.
func (sr *serviceRun) compareDigests(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, compareTimeout)
	defer cancel()
	td, err := sr.taskDefinition(ctx, sr.res.TaskDefinition)
	if err != nil {
		sr.warn("image digests not compared: %v", err)
		return
	}
	tasks, _, err := sr.deploymentTasks(ctx, id, ecstypes.DesiredStatusRunning, comparedTasks)
	if err != nil {
		sr.warn("image digests not compared: %v", err)
		return
	}
	running := map[string][]string{}
	for _, t := range tasks {
		for _, c := range t.Containers {
			name, d := aws.ToString(c.Name), aws.ToString(c.ImageDigest)
			if d != "" && !slices.Contains(running[name], d) {
				running[name] = append(running[name], d)
			}
		}
	}
	sr.res.Images = nil
	for _, cd := range td.ContainerDefinitions {
		name, ref := aws.ToString(cd.Name), aws.ToString(cd.Image)
		ri := result.RunningImage{Container: name, Reference: ref, PlannedDigest: sr.plannedDigest(ref)}
		got := running[name]
		slices.Sort(got)
		ri.RunningDigest = strings.Join(got, ",")
		ri.Match = ri.PlannedDigest != "" && len(got) == 1 && got[0] == ri.PlannedDigest
		sr.res.Images = append(sr.res.Images, ri)
		if ri.PlannedDigest != "" && len(got) > 0 && !ri.Match {
			sr.warn("container %s runs %s, not %s that preflight resolved for %s: the tag moved after preflight. %s",
				name, ri.RunningDigest, ri.PlannedDigest, ref, runbook.Fix(runbook.ImageDigestMismatch, nil))
		}
	}
}

// plannedDigest is the digest ref names, else the one preflight resolved
// for it; "" when neither is known.
func (sr *serviceRun) plannedDigest(ref string) string {
	if _, _, d := imageref.Split(ref); d != "" {
		return d
	}
	return sr.r.opts.Digests[sr.s.Name][ref]
}
