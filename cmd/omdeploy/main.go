// Command omdeploy deploys services to AWS ECS: preflight checks, a new
// task-definition revision, a rollout followed to its end, health
// verification and rollback. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/omdeploy/omdeploy/internal/app"
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// Set by the linker (make build, the release); what is left empty comes
// from the build information (app.ResolveBuild).
var version, commit, date string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal a second one ends the process at once, also
	// during --on-cancel rollback's bounded wait.
	context.AfterFunc(ctx, stop)
	info, _ := debug.ReadBuildInfo()
	build := app.ResolveBuild(app.Build{Version: version, Commit: commit, Date: date}, info)
	code := app.Run(ctx, build, os.Args, iostreams.System(os.Stdout, os.Stderr, os.LookupEnv))
	stop()
	os.Exit(code)
}
