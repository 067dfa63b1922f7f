// Package deploy registers a new task-definition revision, updates the
// service, follows that deployment by ID to its end, explains failures and
// rolls back. It knows nothing of rendering: it emits events and returns
// results.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

// Defaults of Options.
const (
	DefaultParallel = 4
	DefaultLogLines = 20
)

// Log keys, so that every line about a service can be found by the same key.
const (
	logCluster    = "cluster"
	logService    = "service"
	logTaskDef    = "taskdef"
	logDeployment = "deployment"
	logAttempt    = "attempt"
	logRequestID  = "request_id"
)

// Options configure Deploy, Wait, Rollback and Status. Zero values take the
// documented defaults; ECS is required.
type Options struct {
	Services []config.Service

	// What to deploy: Image replaces the target container's image, Tag only
	// its tag; ForceNewDeployment restarts the tasks even when the task
	// definition does not change. DryRun plans and writes nothing.
	Image, Tag string
	// Images and Tags change containers by name (--image NAME=REF, --tag
	// NAME=TAG), several in the one revision registered.
	Images, Tags map[string]string
	// PinDigest registers every image as repo:tag@sha256:... (as does a
	// service's pin_digest), with the digests in Digests, so that the
	// revision is immutable. Digests are what preflight's images.exist
	// resolved, by service name, then image reference; the pipeline fills
	// them in. An image without one stops the service before anything is
	// written (exit 3).
	PinDigest          bool
	Digests            map[string]map[string]string
	ForceNewDeployment bool
	DryRun             bool
	NoRollback         bool // leave a failed deployment as it is
	// WaitUntil stops following a service deployment, successfully, once
	// it reaches this lifecycle stage (or, with WaitUntilPaused, a lifecycle
	// hook waiting for an action); ECS carries on with it. Deploy and
	// Continue only; the deployments[] path cannot see stages.
	WaitUntil string
	// OnCancel is what an interrupt (Ctrl-C, SIGTERM: ctx cancelled) does
	// to a deployment in flight: OnCancelLeave (""), or OnCancelRollback,
	// which rolls it back within CancelRollbackTimeout (default
	// DefaultCancelRollbackTimeout) on a context of its own. The run still
	// ends as interrupted.
	OnCancel string
	// ContinueRollback makes Continue release the hook with ROLLBACK, not
	// CONTINUE: ECS's rollback it then follows is what was asked for, so
	// ROLLBACK_SUCCESSFUL ends the run successfully.
	ContinueRollback      bool
	CancelRollbackTimeout time.Duration
	ToRevision            int // Rollback only: the revision to return to; 0 = the last service deployment's source
	Limit                 int // History only: deployments per service; default DefaultHistoryLimit

	// TaskDefinitions are the task definition files of the services that
	// have one (task_definition:), read, by service name: the source of
	// the revision registered, instead of the live definition.
	TaskDefinitions map[string]*ecs.RegisterTaskDefinitionInput

	Parallel int        // services planned, registered and updated at once (waiting is shared); default 4
	Poll     PollPolicy // how often deployments are observed
	LogLines int        // log lines shown per stopped container; default 20

	ECS  ECSAPI
	Logs func(region string) LogsAPI // nil: no log lines in diagnoses
	// ELB reads the health of the new tasks' targets while a service
	// behind a load balancer rolls out; nil: not shown.
	ELB    TargetHealthAPI
	Region string // the run's region, for messages and awslogs without a region
	// Profile names the AWS profile in credential fixes; empty: "default".
	Profile string

	Health HealthChecker // nil: no health stage

	// BeforeUpdate runs for each service with release tasks after its new
	// revision is registered and before UpdateService; when it fails the
	// service is not updated. AfterHealth runs for each service with
	// post_deploy tasks after its health verification passed; when it
	// fails the service is rolled back as after a failed health check.
	// Nil: not run. The pipeline sets them (internal/pipeline).
	BeforeUpdate, AfterHealth Hook

	// Clock times the polls, the waits and the events; default clock.Real.
	// The demo runs the engine on a faster one.
	Clock    clock.Clock
	Reporter event.Reporter // default event.Nop
	Logger   *slog.Logger   // default: discards
}

func (o Options) withDefaults() Options {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.LogLines <= 0 {
		o.LogLines = DefaultLogLines
	}
	o.Poll = o.Poll.withDefaults()
	o.WaitUntil = canonicalWaitUntil(o.WaitUntil)
	if o.CancelRollbackTimeout <= 0 {
		o.CancelRollbackTimeout = DefaultCancelRollbackTimeout
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Reporter == nil {
		o.Reporter = event.Nop{}
	}
	// The engine's events carry the engine's time: on the demo's clock,
	// the simulated time that the rollout and its timeouts are measured in.
	o.Reporter = event.Stamped(o.Reporter, o.Clock.Now)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (o Options) validate(needChange bool) error {
	switch {
	case o.ECS == nil:
		return errors.New("deploy: no ECS client")
	case o.Image != "" && o.Tag != "":
		return failure.New(failure.StageConfig, "", "", errors.New("give --image or --tag, not both"))
	case needChange && !o.DryRun && o.Image == "" && o.Tag == "" && !o.ForceNewDeployment && !o.PinDigest && len(o.TaskDefinitions) == 0 && len(o.Images) == 0 && len(o.Tags) == 0:
		// A dry run may change nothing: "is there anything to deploy?" is
		// what omdeploy plan asks. A task definition file is a change, and
		// so is pinning the images that run now by their digests.
		return failure.New(failure.StageConfig, "", "", errors.New("nothing to deploy: give --image REPO:TAG, --tag TAG or --force-new-deployment"))
	case !validWaitUntil(o.WaitUntil):
		return failure.New(failure.StageConfig, "", "", fmt.Errorf("--wait-until %q: want one of %s", o.WaitUntil, strings.Join(WaitUntilValues(), ", ")))
	case !validOnCancel(o.OnCancel):
		return failure.New(failure.StageConfig, "", "", fmt.Errorf("--on-cancel %q: want %s or %s", o.OnCancel, OnCancelLeave, OnCancelRollback))
	case o.ToRevision < 0:
		return failure.New(failure.StageConfig, "", "", fmt.Errorf("--to-revision %d: must be positive", o.ToRevision))
	}
	return nil
}

// Deploy runs the engine's part of a deploy for each service, concurrently
// (up to Parallel until they wait for their rollouts): plan the revision,
// register it, update the service, follow the deployment to its end, verify
// health, and roll back on failure. Preflight is not its business: the
// pipeline (internal/pipeline) runs it first.
//
// The error joins one *failure.Error per failed service, so
// failure.ExitCode gives the worst stage; an interrupt wraps
// context.Canceled. The Result says where every service stands either way.
func Deploy(ctx context.Context, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if err := opts.validate(true); err != nil {
		return Result{}, err
	}
	services, err := newRun(opts).each(ctx, failure.StageRegister, (*serviceRun).deploy)
	return Result{Services: services}, err
}

// Wait follows each service's current PRIMARY deployment to its end with
// the same rules as Deploy: diagnosis on failure, health, rollback to the
// deployment it replaces.
func Wait(ctx context.Context, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if err := opts.validate(false); err != nil {
		return Result{}, err
	}
	services, err := newRun(opts).each(ctx, failure.StageRollout, (*serviceRun).wait)
	return Result{Services: services}, err
}

// Rollback undoes each service's last service deployment, returning the
// service to its source revision (or goes to ToRevision of its family), and
// waits for that deployment. Where service deployments cannot be read it
// returns to the previous ACTIVE revision of the family, with one warning.
// Its failures are of StageRollback (exit 6).
func Rollback(ctx context.Context, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if err := opts.validate(false); err != nil {
		return Result{}, err
	}
	services, err := newRun(opts).each(ctx, failure.StageRollback, (*serviceRun).rollbackCommand)
	return Result{Services: services}, err
}
