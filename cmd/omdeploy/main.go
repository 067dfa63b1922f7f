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
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// Set by the linker (see Makefile).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, app.Build{Version: version, Commit: commit, Date: date}, os.Args, iostreams.System(os.Stdout, os.Stderr, os.LookupEnv))
	stop()
	os.Exit(code)
}
