package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// run is one command run over many services; the pollers are shared so that
// services in one cluster are observed with one DescribeServices call.
type run struct {
	opts    Options
	pollers *pollers
	sd      *sdRun             // nil: the ECS client cannot follow service deployments
	delays  *targetGroupDelays // shared by copies of the run (fresh): read once per run
}

func newRun(opts Options) *run {
	return &run{opts: opts, pollers: newPollers(opts.ECS, opts.Clock, opts.Poll, opts.Logger), sd: newSDRun(opts), delays: &targetGroupDelays{}}
}

// each runs step for every service, at most Parallel at once until they
// start waiting (see serviceRun.waiting), and returns the results in config
// order with the failures joined. A service whose turn never came because
// the run was interrupted is reported as not started.
func (r *run) each(ctx context.Context, first failure.Stage, step func(*serviceRun, context.Context) error) ([]ServiceResult, error) {
	results := make([]ServiceResult, len(r.opts.Services))
	errs := make([]error, len(r.opts.Services))
	sem := make(chan struct{}, r.opts.Parallel)
	var wg sync.WaitGroup
	for i, s := range r.opts.Services {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			results[i] = ServiceResult{Name: s.Name, Cluster: s.Cluster, Service: s.Service, Stage: first}
			errs[i] = failure.New(first, s.Name, runbook.Interrupted, fmt.Errorf("not started: %w", ctx.Err()))
			results[i].Error = errs[i].Error()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			release := func() { once.Do(func() { <-sem }) }
			defer release()
			sr := r.newServiceRun(s)
			sr.release = release
			err := step(sr, ctx)
			sr.finish(err)
			results[i], errs[i] = sr.res, err
		}()
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// serviceRun is one service's part of a run: its result so far and what it
// has already reported.
type serviceRun struct {
	r    *run
	s    config.Service
	res  ServiceResult
	seen *eventLog

	tds           map[string]ecstypes.TaskDefinition // described task definitions by ARN
	rollbackState string                             // rollout state of the rollback deployment, as last seen
	last          ecstypes.Service                   // the service as last read, to tell a new deployment from known ones
	runCut        *failure.RunTimeout                // set when --timeout cut the run, for messages and fixes
	unanswered    bool                               // the last UpdateService got no answer; the read-back found it applied
	release       func()                             // gives up the service's Parallel slot; nil outside each
	sd            sdFollow                           // the service deployment UpdateService started (servicedeployment.go)
	undoes        string                             // the service deployment `omdeploy rollback` undoes (undo.go)
	targets       targetWatch                        // the new tasks' targets behind the load balancer (targetwatch.go)
}

// waiting gives the service's Parallel slot to the next service. Parallel
// bounds the writes (register, update), which ECS throttles; waiting for a
// rollout costs no call per service, since one poller per cluster describes
// every watched service, so holding a slot through it would only make
// twenty services take five times as long as one.
func (sr *serviceRun) waiting() {
	if sr.release != nil {
		sr.release()
	}
}

func (r *run) newServiceRun(s config.Service) *serviceRun {
	if s.Name == "" {
		s.Name = s.Service
	}
	if s.WaitTimeout <= 0 {
		s.WaitTimeout = config.DefaultWaitTimeout
	}
	return &serviceRun{
		r:    r,
		s:    s,
		res:  ServiceResult{Name: s.Name, Cluster: s.Cluster, Service: s.Service},
		seen: newEventLog(),
		tds:  map[string]ecstypes.TaskDefinition{},
	}
}

func (sr *serviceRun) now() time.Time { return sr.r.opts.Clock.Now() }

func (sr *serviceRun) emit(e event.Event) { sr.r.opts.Reporter.Report(e) }

func (sr *serviceRun) stage(s failure.Stage) {
	sr.res.Stage = s
	sr.emit(event.StageStarted{Service: sr.s.Name, Stage: s})
}

// fail builds the service's failure and reports it with the runbook fix
// filled in for this service, so the fix names the real cluster and revision.
// Without an entry of its own, an AWS error gets the entry preflight would
// give it (expired token, access denied, unreachable...).
func (sr *serviceRun) fail(stage failure.Stage, runbookID string, err error) error {
	if runbookID == "" {
		runbookID = awsx.RunbookID(err)
	}
	fe := failure.New(stage, sr.s.Name, runbookID, err).(*failure.Error)
	fe.RequestID = awsx.RequestID(err)
	fe.Fix = runbook.Fix(runbookID, sr.vars())
	sr.emit(event.Failure{
		Service: sr.s.Name, Stage: stage, Message: err.Error(),
		RunbookID: runbookID, Fix: fe.Fix,
	})
	return fe
}

func (sr *serviceRun) warn(format string, args ...any) {
	sr.emit(event.Warning{Service: sr.s.Name, Message: fmt.Sprintf(format, args...)})
}

// vars fill the runbook's {placeholders} for this service.
func (sr *serviceRun) vars() map[string]string {
	v := map[string]string{
		"service": sr.s.Service, "cluster": sr.s.Cluster, "region": sr.r.opts.Region,
		"timeout": sr.s.WaitTimeout.String(), "profile": sr.r.opts.Profile,
	}
	if v["profile"] == "" {
		v["profile"] = "default"
	}
	if sr.runCut != nil {
		v["timeout"] = "--timeout " + sr.runCut.After.String()
	}
	set := func(k, val string) {
		if val != "" {
			v[k] = val
		}
	}
	set("deployment", sr.res.DeploymentID)
	set("taskdef", sr.res.TaskDefinition)
	set("previous", sr.res.PreviousTaskDefinition)
	return v
}

// finish records the outcome and reports the end of the service's run.
// A failed service's stage is the one that decides its exit code: a health
// failure that was rolled back stays a health failure.
func (sr *serviceRun) finish(err error) {
	if err == nil {
		sr.res.Stage = failure.StageDone
	} else {
		sr.res.Error = err.Error()
		if st := failure.WorstStage(err); st != "" {
			sr.res.Stage = st
		}
		if sr.res.RunbookID == "" {
			sr.res.RunbookID = failure.RunbookIDOf(err)
		}
	}
	sr.emit(event.ServiceFinished{Service: sr.s.Name, OK: err == nil, Stage: sr.res.Stage})
}

func (sr *serviceRun) logger() *slog.Logger {
	return sr.r.opts.Logger.With(logService, sr.s.Service, logCluster, sr.s.Cluster)
}
