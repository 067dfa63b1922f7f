// Package preflight runs the checklist that catches, in seconds and before
// anything changes, the failures the old runbook kept meeting mid-deploy:
// expired credentials, the wrong account or region, missing permissions,
// SSM parameters missing in the region, a secrets folder git does not
// ignore, a missing cluster, service or log group, undeclared health
// endpoints. Every check runs (no stop at the first failure), concurrently,
// within one time budget; each failure carries its runbook fix.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Stable check IDs: the JSON contract's checks[].id. Never renamed.
const (
	IDCredentials    = "aws.credentials"
	IDIdentity       = "aws.identity"
	IDRegion         = "aws.region"
	IDIAMPermissions = "iam.permissions"
	IDSSMParameters  = "ssm.parameters"
	IDSecretsIgnored = "secrets.gitignore"
	IDECSCluster     = "ecs.cluster"
	IDECSService     = "ecs.service"
	IDLogsGroup      = "logs.group"
	IDHealthContract = "health.contract"
	IDSecretsExist   = "secrets.exist"
	IDImagesExist    = "images.exist"
	IDLBTargetGroups = "lb.target-groups"
)

// Defaults of Options.
const (
	DefaultBudget      = 60 * time.Second // the whole checklist
	DefaultConcurrency = 8                // checks running at once
)

// ErrFailed is the cause under the *failure.Error Run returns when a check
// failed (or warned, with Strict).
var ErrFailed = errors.New("checks failed")

// Check is one check's result. The JSON contract owns the type (it is the
// document's checks[] entry), so its fields change there, in
// internal/result, with the schema.
type Check = result.Check

// Options select what to check.
type Options struct {
	Config   *config.File
	Services []config.Service // the services this run deploys; nil: all in Config
	Clients  *awsx.Clients
	// AWS, when set, is used instead of Clients; tests pass fakes here.
	AWS *AWSAPIs
	// AWSErr is why Clients could not be built (awsx.Load's error, e.g. a
	// missing profile): aws.credentials reports it with its fix and every
	// check that needs AWS is skipped.
	AWSErr      error
	Strict      bool          // warnings fail too
	Budget      time.Duration // for the whole checklist; default DefaultBudget
	Concurrency int           // checks running at once; default DefaultConcurrency
	// AllowInProgress turns a deployment already in progress from a failure
	// into a pass (deploy --force).
	AllowInProgress bool
	// RollsBack says the run may roll back a deployment in flight (rollback
	// not disabled, or --on-cancel rollback): ecs:StopServiceDeployment is
	// simulated too.
	RollsBack bool
	Reporter  event.Reporter
	Logger    *slog.Logger
	Clock     clock.Clock // default clock.Real; timestamps and durations

	// Change is the run's change to the target container's image (deploy
	// --image or --tag); images.exist checks the images the new revision
	// will run with it applied. Zero: the current images.
	Change imageref.Change
	// TaskDefinitions are the task definition files of the services that
	// have one (task_definition:), read, by service name: images.exist and
	// lb.target-groups check the revision built from the file, as the
	// engine registers it, not the live one.
	TaskDefinitions map[string]*ecs.RegisterTaskDefinitionInput
	// Only runs these checks (by ID) and no other; nil runs them all. A
	// deploy that pins digests with the checklist skipped runs
	// images.exist alone, for the digests.
	Only []string
	// Registry asks registries other than ECR (and reads ECR's config
	// blobs); nil builds the anonymous registry client.
	Registry RegistryAPI

	git gitRunner // tests make git hermetic through its env
}

// Run runs every check and returns all results in a stable order: run-wide
// checks first, then each service in config order, each in check order. The
// error is a *failure.Error of StagePreflight wrapping ErrFailed when a check
// failed (or warned, with Strict), and wraps ctx's error when ctx ended.
func Run(ctx context.Context, opts Options) ([]Check, error) {
	if opts.Config == nil {
		return nil, errors.New("preflight: no config")
	}
	budget := opts.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	bctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	r := newRunner(opts)
	r.rep.Report(event.StageStarted{Stage: failure.StagePreflight})
	checks := r.runAll(bctx, r.plan())
	if err := ctx.Err(); err != nil {
		return checks, failure.New(failure.StagePreflight, "", runbook.Interrupted, fmt.Errorf("preflight: %w", err))
	}
	return checks, Verdict(checks, opts.Strict)
}

// Verdict is the error Run returns for checks: nil when none failed (and,
// with strict, none warned). One failed check lends the error its runbook
// entry and filled-in fix; several point at the fixes each check printed.
func Verdict(checks []Check, strict bool) error {
	var bad []string
	var last Check
	for _, c := range checks {
		if c.Status == event.StatusFail || (strict && c.Status == event.StatusWarn) {
			label := c.ID
			if c.Service != "" {
				label += " (" + c.Service + ")"
			}
			bad = append(bad, label)
			last = c
		}
	}
	if len(bad) == 0 {
		return nil
	}
	err := &failure.Error{Stage: failure.StagePreflight, RunbookID: runbook.PreflightFailed, Err: fmt.Errorf("%w: %s", ErrFailed, strings.Join(bad, ", "))}
	if len(bad) == 1 {
		err.RunbookID, err.Fix = last.RunbookID, last.Fix
	}
	return err
}
