// Package failure carries a failed run's stage, service and runbook entry up
// to the command layer, and derives the process exit code from them in one
// place.
package failure

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Stage names the part of a run that failed. The values are the JSON
// contract's "stage" field, so they are never renamed.
type Stage string

// The stages of a run, in pipeline order.
const (
	StageConfig    Stage = "config"
	StagePreflight Stage = "preflight"
	StageRegister  Stage = "register"
	// StageRelease runs a service's release tasks (migrations) between
	// register and update; when one fails the service is left untouched.
	StageRelease  Stage = "release"
	StageUpdate   Stage = "update"
	StageRollout  Stage = "rollout"
	StageHealth   Stage = "health"
	StageRollback Stage = "rollback"
	StageDone     Stage = "done"
)

// Stages lists every stage in pipeline order: the values the contract's
// schema allows for "stage". A new stage is added here too.
func Stages() []Stage {
	return []Stage{StageConfig, StagePreflight, StageRegister, StageRelease, StageUpdate, StageRollout, StageHealth, StageRollback, StageDone}
}

// Exit codes of the contract; README and --help document the same table.
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitUsage       = 2
	ExitPreflight   = 3
	ExitRollout     = 4
	ExitHealth      = 5
	ExitRollback    = 6
	ExitRelease     = 7
	ExitChanges     = 8 // not a failure: plan or a dry run with --detailed-exitcode found changes
	ExitInterrupted = 130
)

// ExitCodeTable is the exit-code documentation shown in --help and README.
const ExitCodeTable = `EXIT CODES:
   0    success
   1    internal error
   2    usage or config error
   3    preflight failed
   4    rollout failed (FAILED, replaced by another deployment, timed out)
   5    health verification failed
   6    rollback failed, or a service was left in an unknown state
   7    a release task (migration) failed; the service was not updated
   8    plan (or deploy --dry-run) with --detailed-exitcode: there are changes to deploy
   130  interrupted`

// ErrChanges is what a successful plan with --detailed-exitcode ends with
// when a service's task definition would change: not a failure, but an
// answer a pipeline asks for through the exit code (ExitChanges).
var ErrChanges = errors.New("changes to deploy")

// ErrUnknown marks a failure whose outcome omdeploy could not learn: a
// write whose answer was lost and could not be read back, a deployment
// whose state could not be read when it had to be judged, a rollback
// started but not followed. Whatever its stage, it exits ExitRollback (6):
// the service may be anywhere, and someone must look. A failure that wraps
// it must not also wrap context.Canceled, which would make it exit 130.
var ErrUnknown = errors.New("outcome unknown")

// RunTimeout is the cause (context.WithTimeoutCause) of the run context's
// deadline set by --timeout, so that a message can tell the run's limit
// from a service's wait_timeout. It matches context.DeadlineExceeded.
type RunTimeout struct{ After time.Duration }

// Error names the flag and its value.
func (e *RunTimeout) Error() string { return fmt.Sprintf("the run's --timeout of %s passed", e.After) }

// Is makes errors.Is(cause, context.DeadlineExceeded) hold.
func (e *RunTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// RunTimeoutOf returns ctx's RunTimeout cause, when --timeout ended it.
func RunTimeoutOf(ctx context.Context) (*RunTimeout, bool) {
	var rt *RunTimeout
	ok := errors.As(context.Cause(ctx), &rt)
	return rt, ok
}

// Error is a failure with the facts a person needs to act on it. Err keeps the
// cause so errors.Is/As still reach AWS and context errors underneath.
type Error struct {
	Stage     Stage
	Service   string // the config's service label; empty for run-wide failures
	RunbookID string // key into internal/runbook; empty when no entry fits
	RequestID string // AWS request ID, when the cause is an AWS call
	Fix       string // the runbook fix filled with this failure's specifics; empty: the entry's
	Err       error
}

// Error reads "STAGE SERVICE: cause".
func (e *Error) Error() string {
	if e.Service == "" {
		return fmt.Sprintf("%s: %v", e.Stage, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Stage, e.Service, e.Err)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// New wraps err as a failure of stage. A nil err stays nil so callers can
// wrap unconditionally.
func New(stage Stage, service, runbookID string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Stage: stage, Service: service, RunbookID: runbookID, Err: err}
}

// StageOf reports the stage of the first *Error in err's tree.
func StageOf(err error) (Stage, bool) {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Stage, true
	}
	return "", false
}

// RunbookIDOf reports the runbook entry of the first *Error in err's tree
// that names one.
func RunbookIDOf(err error) string {
	for _, fe := range All(err) {
		if fe.RunbookID != "" {
			return fe.RunbookID
		}
	}
	return ""
}

// All lists every *Error in err's tree, depth first, so that a joined error of
// many services can be rendered one failure at a time.
func All(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if fe, ok := e.(*Error); ok {
			out = append(out, fe)
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// ExitCode maps an error to the contract's exit code. A joined error takes
// the worst code of its parts; an interrupt wins over everything because the
// user asked for it.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	if errors.Is(err, ErrChanges) {
		return ExitChanges
	}
	fes := All(err)
	if len(fes) == 0 {
		return ExitInternal
	}
	worst := ExitOK
	for _, fe := range fes {
		c := stageExitCode(fe.Stage)
		if errors.Is(fe.Err, ErrUnknown) && severity(ExitRollback) > severity(c) {
			c = ExitRollback
		}
		if severity(c) > severity(worst) {
			worst = c
		}
	}
	return worst
}

// severity orders exit codes for a run of many services. Codes grew in
// the order stages were added, not in order of gravity: a service left in
// an unknown state (6) is worse than one whose release task failed and
// which was left untouched (7).
func severity(code int) int {
	switch code {
	case ExitRelease:
		return ExitHealth*2 + 1
	case ExitRollback:
		return ExitRelease * 2
	}
	return code * 2
}

func stageExitCode(s Stage) int {
	switch s {
	case StageConfig:
		return ExitUsage
	case StagePreflight:
		return ExitPreflight
	case StageRegister, StageUpdate, StageRollout:
		return ExitRollout
	case StageHealth:
		return ExitHealth
	case StageRollback:
		return ExitRollback
	case StageRelease:
		return ExitRelease
	default:
		return ExitInternal
	}
}

// WorstStage is the stage whose exit code decides err, so a result's
// "stage" and "exit_code" always agree; an interrupt reports the stage it
// interrupted. It is "" when err holds no *Error.
func WorstStage(err error) Stage {
	var best Stage
	bestCode := -1
	for _, fe := range All(err) {
		if errors.Is(fe, context.Canceled) {
			return fe.Stage
		}
		if c := severity(ExitCode(fe)); c > bestCode {
			best, bestCode = fe.Stage, c
		}
	}
	return best
}
