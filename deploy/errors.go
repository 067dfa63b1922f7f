package deploy

import "errors"

// Sentinel errors, for errors.Is on a failure's cause.
var (
	ErrNotFound         = errors.New("not found")
	ErrRolloutFailed    = errors.New("rollout failed")
	ErrReplaced         = errors.New("deployment replaced")
	ErrTimedOut         = errors.New("rollout timed out")
	ErrRollbackFailed   = errors.New("rollback failed")
	ErrNoRollbackTarget = errors.New("no rollback target")
	// ErrTestTraffic: gated blue/green, the new revision failed its health
	// check through the test listener.
	ErrTestTraffic = errors.New("test traffic health check failed")
)
