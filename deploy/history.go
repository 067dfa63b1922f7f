package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
)

// DefaultHistoryLimit is how many deployments per service History reads
// when Options.Limit is not set.
const DefaultHistoryLimit = 10

// The types of `omdeploy history --output json`, owned by the JSON
// contract (the document's history section).
type (
	// ServiceHistory is one service's recent deployments, newest first.
	ServiceHistory = result.ServiceHistory
	// HistoryEntry is one deployment of a service's history.
	HistoryEntry = result.HistoryEntry
)

// History reads each service's last Limit (default 10) service
// deployments, newest first: when each started and finished, its status,
// the task definitions it moved the service from and to, and why it ended
// as it did (the rollback's reason, the alarms that fired). Where the
// service-deployment calls are unavailable (an emulator, a partition
// without them, a principal without ecs:ListServiceDeployments) it reads
// each service's deployments[] instead, with one warning. The error joins
// one *failure.Error (stage preflight: nothing could be read) per service
// whose history could not be read; the others are still returned.
func History(ctx context.Context, opts Options) ([]ServiceHistory, error) {
	opts = opts.withDefaults()
	if opts.ECS == nil {
		return nil, errors.New("history: no ECS client")
	}
	limit := cmp.Or(max(opts.Limit, 0), DefaultHistoryLimit)
	rd, sdOK := sdReaderOf(opts)
	warned := false
	out := make([]ServiceHistory, len(opts.Services))
	var errs []error
	for i, s := range opts.Services {
		s.Name = cmp.Or(s.Name, s.Service)
		h := ServiceHistory{Name: s.Name, Cluster: s.Cluster, Service: s.Service, Deployments: []HistoryEntry{}}
		var err error
		if sdOK {
			h.Source = result.HistoryServiceDeployments
			h.Deployments, err = serviceDeploymentHistory(ctx, rd, s, limit)
			if err != nil && sdUnavailable(err) {
				// Once unavailable, unavailable for every service of the run.
				sdOK = false
				if !warned {
					warned = true
					opts.Reporter.Report(event.Warning{Message: "service deployments unavailable (" + errMessage(err) + "): " +
						"history shows each service's deployments[] instead, which holds only the deployments ECS still tracks, " +
						"without strategies, alarms or source revisions read from ECS. Where the operations exist, allow " +
						"ecs:ListServiceDeployments, ecs:DescribeServiceDeployments and ecs:DescribeServiceRevisions"})
				}
			}
		}
		if !sdOK {
			h.Source = result.HistoryDeployments
			h.Deployments, err = legacyHistory(ctx, opts, s, limit)
		}
		if err != nil {
			rb := notFoundRunbook(err)
			if rb == "" {
				rb = awsx.RunbookID(err)
			}
			errs = append(errs, failure.New(failure.StagePreflight, s.Name, rb, fmt.Errorf("history: %w", err)))
			h.Deployments = []HistoryEntry{}
		}
		out[i] = h
	}
	return out, errors.Join(errs...)
}

// serviceDeploymentHistory is History of one service from its service
// deployments.
func serviceDeploymentHistory(ctx context.Context, rd serviceDeploymentReader, s config.Service, limit int) ([]HistoryEntry, error) {
	sds, err := rd.recent(ctx, s.Cluster, s.Service, limit)
	if err != nil {
		return nil, err
	}
	tds, err := rd.taskDefinitions(ctx, sds)
	if err != nil {
		return nil, err
	}
	entries := make([]HistoryEntry, 0, len(sds))
	for _, sd := range sds {
		e := HistoryEntry{
			ARN:       aws.ToString(sd.ServiceDeploymentArn),
			StartedAt: aws.ToTime(cmp.Or(sd.StartedAt, sd.CreatedAt)),
			Status:    string(sd.Status),
			Reason:    aws.ToString(sd.StatusReason),
			// A revision whose task definition was not read stays unnamed
			// rather than guessed.
			SourceTaskDefinition: tds[sourceRevision(sd)],
			TargetTaskDefinition: tds[targetRevision(sd)],
		}
		if t := cmp.Or(sd.FinishedAt, sd.StoppedAt); t != nil {
			e.FinishedAt = aws.Time(*t)
		}
		if dc := sd.DeploymentConfiguration; dc != nil {
			e.Strategy = string(dc.Strategy)
		}
		if sd.Rollback != nil && aws.ToString(sd.Rollback.Reason) != "" {
			e.Reason = aws.ToString(sd.Rollback.Reason)
		}
		if sd.Alarms != nil {
			e.TriggeredAlarms = slices.Clone(sd.Alarms.TriggeredAlarmNames)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// legacyHistory is History of one service from its deployments[]: newest
// first, each one's source the deployment it replaced (the next older one
// listed), when ECS still lists it.
func legacyHistory(ctx context.Context, opts Options, s config.Service, limit int) ([]HistoryEntry, error) {
	svc, err := newRun(opts).newServiceRun(s).describeService(ctx)
	if err != nil {
		return nil, err
	}
	deps := slices.Clone(svc.Deployments)
	slices.SortStableFunc(deps, func(a, b ecstypes.Deployment) int {
		return aws.ToTime(b.CreatedAt).Compare(aws.ToTime(a.CreatedAt))
	})
	entries := make([]HistoryEntry, 0, min(len(deps), limit))
	for i, d := range deps[:min(len(deps), limit)] {
		e := HistoryEntry{
			ID: aws.ToString(d.Id), StartedAt: aws.ToTime(d.CreatedAt),
			Status: cmp.Or(string(d.RolloutState), aws.ToString(d.Status)), Reason: aws.ToString(d.RolloutStateReason),
			TargetTaskDefinition: aws.ToString(d.TaskDefinition),
		}
		if i+1 < len(deps) {
			e.SourceTaskDefinition = aws.ToString(deps[i+1].TaskDefinition)
		}
		if d.RolloutState == ecstypes.DeploymentRolloutStateCompleted || d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			e.FinishedAt = aws.Time(aws.ToTime(d.UpdatedAt))
		}
		entries = append(entries, e)
	}
	return entries, nil
}
