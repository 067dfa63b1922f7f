// Command omdeploy deploys services to AWS ECS: preflight checks, a new
// task-definition revision, a rollout followed to its end, health
// verification and rollback. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/omdeploy/omdeploy/internal/app"
)

// Set by the linker (see Makefile).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, app.Build{Version: version, Commit: commit, Date: date}, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
