package preflight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/registry"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Log keys; the names follow the project's convention (service, request_id).
const (
	logCall      = "call"
	logCheck     = "check"
	logService   = "service"
	logStatus    = "status"
	logRegion    = "region"
	logRequestID = "request_id"
	logErr       = "err"
)

// skipCredentials is the message of every AWS check when credentials failed:
// one failure under aws.credentials, not a flood of copies.
const skipCredentials = "credentials failed; not checked (see aws.credentials)"

// runner holds one run's dependencies and the AWS facts several checks
// share, each fetched once however many checks ask.
type runner struct {
	opts   Options
	aws    *AWSAPIs // nil: no AWS (AWSErr says why, or none was given)
	clk    clock.Clock
	log    *slog.Logger
	rep    event.Reporter
	git    gitRunner
	health *healthcheck.Checker
	reg    RegistryAPI
	ident  lazy[identity]
	caller lazy[principal]
	// logGroups are the log groups looked up, by region and name: the
	// services of one app often log to one group.
	logGroups lazyMap[logGroupFact]
}

// lazy fetches a value once, on first use, with the first caller's context;
// every caller shares the run's context, so which one comes first does not
// matter.
type lazy[T any] struct {
	once  sync.Once
	v     T
	fetch func(context.Context) T
}

func (l *lazy[T]) get(ctx context.Context) T {
	l.once.Do(func() { l.v = l.fetch(ctx) })
	return l.v
}

// lazyMap is a lazy value per key.
type lazyMap[T any] struct {
	mu sync.Mutex
	m  map[string]*lazy[T]
}

// get returns key's value, fetched once by fetch.
func (l *lazyMap[T]) get(ctx context.Context, key string, fetch func(context.Context) T) T {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*lazy[T]{}
	}
	v, ok := l.m[key]
	if !ok {
		v = &lazy[T]{fetch: fetch}
		l.m[key] = v
	}
	l.mu.Unlock()
	return v.get(ctx)
}

func newRunner(opts Options) *runner {
	r := &runner{opts: opts, aws: opts.AWS, clk: opts.Clock, log: opts.Logger, rep: opts.Reporter, git: opts.git}
	if r.aws == nil && opts.Clients != nil && opts.AWSErr == nil {
		r.aws = FromClients(opts.Clients)
	}
	if r.clk == nil {
		r.clk = clock.Real{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.rep == nil {
		r.rep = event.Nop{}
	}
	// One client for the run's baseline GETs; no reporter or logger, since
	// the probe's verdict is shown as the health.contract check (a record
	// of its own would say the same in another shape).
	r.health = healthcheck.New(healthcheck.Options{AttemptTimeout: baselineTimeout})
	r.reg = opts.Registry
	switch {
	case r.reg != nil:
	case r.aws != nil && r.aws.Endpoint != "":
		r.reg = noRegistry{why: "AWS calls go to the endpoint override " + r.aws.Endpoint + ", so no registry outside it is asked"}
	default:
		r.reg = registry.New(registry.Options{AttemptTimeout: callTimeout, Logger: r.log})
	}
	r.ident.fetch = r.resolveIdentity
	r.caller.fetch = r.resolvePrincipal
	return r
}

// job is one check to run; its place in the plan is its place in the output.
type job struct {
	id      string
	service string
	run     func(context.Context) Check
}

// plan lists the checks in output order: run-wide first, then each service
// in config order, each in the order of the check IDs.
func (r *runner) plan() []job {
	cfg := r.opts.Config
	jobs := []job{
		{id: IDCredentials, run: r.checkCredentials},
		{id: IDIdentity, run: r.checkIdentity},
		{id: IDRegion, run: r.checkRegion},
	}
	if len(cfg.IAMActions) > 0 || len(cfg.SSMParameters) > 0 {
		jobs = append(jobs, job{id: IDIAMPermissions, run: r.checkConfigPermissions})
	}
	if len(cfg.SSMParameters) > 0 {
		jobs = append(jobs, job{id: IDSSMParameters, run: r.checkConfigParameters})
	}
	if hasSecretsManagerRefs(cfg.SSMParameters) {
		jobs = append(jobs, job{id: IDSecretsExist, run: r.checkConfigSecrets})
	}
	jobs = append(jobs, job{id: IDSecretsIgnored, run: r.checkSecrets})

	services := r.opts.Services
	if services == nil {
		services = cfg.Services
	}
	// Services of one cluster share its DescribeClusters answer: twenty
	// services in a cluster cost one call, not twenty.
	// They share one IAM simulation too (simulateCluster).
	clusters := map[string]*lazy[clusterFact]{}
	sims := map[string]*lazy[simAnswer]{}
	siblings := map[string][]*serviceFacts{}
	for _, svc := range services {
		s := newServiceFacts(r, svc)
		if shared, ok := clusters[svc.Cluster]; ok {
			s.cluster, s.sim = shared, sims[svc.Cluster]
		} else {
			clusters[svc.Cluster] = s.cluster
			s.sim = &lazy[simAnswer]{}
			sims[svc.Cluster] = s.sim
		}
		siblings[svc.Cluster] = append(siblings[svc.Cluster], s)
		jobs = append(jobs,
			job{id: IDIAMPermissions, service: svc.Name, run: s.checkPermissions},
			job{id: IDSSMParameters, service: svc.Name, run: s.checkParameters},
			job{id: IDSecretsExist, service: svc.Name, run: s.checkSecretsManager},
			job{id: IDECSCluster, service: svc.Name, run: s.checkCluster},
			job{id: IDECSService, service: svc.Name, run: s.checkService},
			job{id: IDImagesExist, service: svc.Name, run: s.checkImages},
			job{id: IDLogsGroup, service: svc.Name, run: s.checkLogGroups},
			job{id: IDHealthContract, service: svc.Name, run: func(ctx context.Context) Check { return r.checkHealth(ctx, svc) }},
			job{id: IDLBTargetGroups, service: svc.Name, run: s.checkTargetGroups},
		)
		if len(svc.Scheduled) > 0 {
			jobs = append(jobs, job{id: IDEventsRules, service: svc.Name, run: s.checkScheduledRules})
		}
	}
	for cluster, sim := range sims {
		sim.fetch = simulateCluster(siblings[cluster])
	}
	if only := r.opts.Only; only != nil {
		jobs = slices.DeleteFunc(jobs, func(j job) bool { return !slices.Contains(only, j.id) })
	}
	return jobs
}

// runAll runs the jobs, at most Concurrency at once, and reports each as
// it finishes. The bound keeps two hundred services' checks from sending a
// thousand AWS calls at once, which ECS and IAM answer with throttling;
// each check makes its few calls in sequence, so bounding checks bounds
// calls.
func (r *runner) runAll(ctx context.Context, jobs []job) []Check {
	out := make([]Check, len(jobs))
	sem := make(chan struct{}, r.concurrency())
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := r.clk.Now()
			c := j.run(ctx)
			if ctx.Err() != nil && c.Status != event.StatusPass {
				c = r.unfinished(ctx, j.id)
			}
			c.ID, c.Service = j.id, j.service
			out[i] = c
			r.rep.Report(event.CheckFinished{
				Service: c.Service, ID: c.ID, Status: c.Status,
				Message: c.Message, Fix: c.Fix, RunbookID: c.RunbookID, Duration: r.clk.Now().Sub(start),
			})
		})
	}
	wg.Wait()
	return out
}

func (r *runner) concurrency() int {
	if r.opts.Concurrency > 0 {
		return r.opts.Concurrency
	}
	return DefaultConcurrency
}

// unfinished is the result of a check the budget or an interrupt cut short.
// It fails, because a check that could not finish has not passed; the health
// baseline only ever warns.
func (r *runner) unfinished(ctx context.Context, id string) Check {
	if errors.Is(ctx.Err(), context.Canceled) {
		return skip("interrupted before the check finished")
	}
	status := event.StatusFail
	if id == IDHealthContract {
		status = event.StatusWarn
	}
	return Check{
		Status:    status,
		Message:   "did not finish within the preflight time budget",
		RunbookID: runbook.PreflightTimeout,
		Fix:       runbook.Fix(runbook.PreflightTimeout, map[string]string{"region": r.region()}),
	}
}

// region is the run's region, or a placeholder for fixes when none is set.
func (r *runner) region() string {
	if r.aws != nil && r.aws.Region != "" {
		return r.aws.Region
	}
	return "REGION"
}

// awsSkip says why a check that needs AWS cannot run, or "" when it can.
func (r *runner) awsSkip(ctx context.Context) string {
	switch {
	case r.opts.AWSErr != nil:
		return skipCredentials
	case r.aws == nil:
		return "no AWS clients configured; not checked"
	}
	if r.ident.get(ctx).credErr != nil {
		return skipCredentials
	}
	return ""
}

// awsFail turns an AWS error into a failed check with the fix for its kind.
func (r *runner) awsFail(err error, format string, args ...any) Check {
	what := fmt.Sprintf(format, args...)
	r.log.Debug("aws call failed", logCall, what, logRegion, r.region(), logRequestID, awsx.RequestID(err), logErr, err)
	id, fix := AWSErrorFix(err, r.profile(), r.region())
	return Check{Status: event.StatusFail, Message: fmt.Sprintf("%s: %v", what, err), RunbookID: id, Fix: fix}
}

func pass(format string, args ...any) Check {
	return Check{Status: event.StatusPass, Message: fmt.Sprintf(format, args...)}
}

func skip(format string, args ...any) Check {
	return Check{Status: event.StatusSkip, Message: fmt.Sprintf(format, args...)}
}

// fail and warn take their fix from the runbook, so it reads the same
// wherever it is shown.
func fail(runbookID string, vars map[string]string, format string, args ...any) Check {
	return Check{Status: event.StatusFail, Message: fmt.Sprintf(format, args...), RunbookID: runbookID, Fix: runbook.Fix(runbookID, vars)}
}

func warn(runbookID string, vars map[string]string, format string, args ...any) Check {
	c := fail(runbookID, vars, format, args...)
	c.Status = event.StatusWarn
	return c
}

// serviceFacts are the ECS facts of one service that several checks need,
// each fetched once.
type serviceFacts struct {
	r       *runner
	svc     config.Service
	cluster *lazy[clusterFact]
	service lazy[serviceFact]
	taskDef lazy[taskDefFact] // the live revision
	next    lazy[nextFact]    // the revision the run would register
	sim     *lazy[simAnswer]  // shared by the services of the cluster
}
