package pipeline

import (
	"errors"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/schedule"
	"github.com/omdeploy/omdeploy/preflight"
	"github.com/omdeploy/omdeploy/release"
)

// ErrNoRegion is AWS.Err when the SDK resolved no region: every call would
// go to a guessed endpoint, so none is sent.
var ErrNoRegion = errors.New("no AWS region is set: not by --region, AWS_REGION, the profile, nor the config's region")

// AWS is everything the stages ask of AWS, as the small interfaces each
// stage declares: the SDK clients in a real run, the simulator in the demo
// and in tests.
type AWS struct {
	Preflight *preflight.AWSAPIs
	ECS       deploy.ECSAPI
	Logs      func(region string) deploy.LogsAPI // log lines for diagnoses, in the log group's region
	ELB       deploy.TargetHealthAPI             // target health while services behind load balancers roll out; nil: not shown
	Region    string                             // the run's region, for messages and awslogs without a region
	Profile   string                             // the AWS profile, for credential fixes; empty: the default chain
	Tasks     release.ECSAPI                     // runs release and post_deploy tasks; nil: services with tasks fail
	Lock      lock.SSMAPI                        // keeps the deploy locks' leases; nil: services with `lock:` fail
	Events    schedule.API                       // moves scheduled rules' targets; nil: services with scheduled rules fail

	// Err is why the clients could not be built (a missing profile): the
	// preflight stage reports it with its fix, and nothing else runs.
	Err error
}

// FromClients adapts the run's SDK clients; err is awsx.Load's error. It is
// where every command's clients pass, so the region is checked here, once:
// without one, Err is ErrNoRegion and no stage calls AWS.
func FromClients(c *awsx.Clients, err error) AWS {
	if err == nil && c != nil && c.Region == "" {
		err = ErrNoRegion
	}
	if err != nil || c == nil {
		return AWS{Err: err}
	}
	return AWS{
		Preflight: preflight.FromClients(c),
		ECS:       c.ECS,
		Tasks:     c.ECS,
		Lock:      awsx.NarrowSSM(c.SSM),
		Events:    awsx.NarrowEventBridge(c.EventBridge()),
		Logs:      func(region string) deploy.LogsAPI { return awsx.NarrowLogs(c.LogsIn(region)) },
		ELB:       awsx.NarrowELBv2(c.ELBv2),
		Region:    c.Region,
		Profile:   c.Profile,
	}
}

// Unavailable is the failure of a run that cannot call AWS because of
// a.Err, with the runbook entry and fix preflight would name for it.
func (a AWS) Unavailable() error {
	if a.Err == nil {
		return nil
	}
	f := &failure.Error{Stage: failure.StagePreflight, Err: a.Err}
	if errors.Is(a.Err, ErrNoRegion) {
		f.RunbookID, f.Fix = runbook.AWSNoRegion, runbook.Fix(runbook.AWSNoRegion, nil)
	} else {
		f.RunbookID, f.Fix = preflight.AWSErrorFix(a.Err, "", "REGION")
	}
	return f
}

// regionCheck is the aws.region check's failure, reported in place of a
// checklist whose every AWS call would lack a region.
func regionCheck() preflight.Check {
	return preflight.Check{
		ID: preflight.IDRegion, Status: event.StatusFail, Message: ErrNoRegion.Error(),
		RunbookID: runbook.AWSNoRegion, Fix: runbook.Fix(runbook.AWSNoRegion, nil),
	}
}
