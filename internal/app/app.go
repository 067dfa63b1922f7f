// Package app is omdeploy's command line: it maps flags to plain options,
// calls one function in deploy/, preflight/ or healthcheck/, renders the
// result and chooses the exit code. It holds no deploy logic.
package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// Build identifies the binary; the linker sets it.
type Build struct {
	Version, Commit, Date string
}

// Run runs the CLI over the streams s and returns the process exit code.
func Run(ctx context.Context, build Build, args []string, s *iostreams.IO) int {
	return runWith(ctx, build, args, s, deps{})
}

// runWith is Run with the process's dependencies given, for tests.
func runWith(ctx context.Context, build Build, args []string, s *iostreams.IO, d deps) int {
	d.io = s
	a := newApp(build, s, d.withDefaults())
	err := a.RunContext(ctx, args)
	if err == nil {
		return failure.ExitOK
	}
	var reported *reportedError
	if !errors.As(err, &reported) {
		// Usage errors reach here before any renderer exists.
		fmt.Fprintf(s.Err, "omdeploy: %v\n", err)
	}
	return failure.ExitCode(err)
}

// reportedError marks an error the renderer already showed, so Run does not
// print it twice.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

func newApp(build Build, s *iostreams.IO, d deps) *cli.App {
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, versionLine(build)) }
	return &cli.App{
		Name:    "omdeploy",
		Usage:   "deploy services to AWS ECS: preflight, rollout, health, rollback",
		Version: build.Version,
		Description: "omdeploy checks what a deploy needs before it starts, registers a new task-definition revision,\n" +
			"follows that deployment to its end, verifies the service's health endpoints, and rolls back on failure.\n\n" +
			failure.ExitCodeTable,
		Writer:               s.Out,
		ErrWriter:            s.Err,
		Flags:                globalFlags(),
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return failure.New(failure.StageConfig, "", "", err)
		},
		Commands: []*cli.Command{
			deployCommand(d),
			preflightCommand(d),
			waitCommand(d),
			continueCommand(d),
			healthCommand(d),
			statusCommand(d),
			rollbackCommand(d),
			demoCommand(d),
			initCommand(d),
			runbookCommand(d),
			completionCommand(),
			versionCommand(d, build),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // exit codes are chosen in Run, never by urfave
	}
}

// withGlobal adds the global flags to a command's own, so that both
// `omdeploy --output json deploy` and `omdeploy deploy --output json` work.
func withGlobal(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, globalFlags()...)
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return failure.New(failure.StageConfig, "", "", err)
	}
	if cmd.Description != "" {
		cmd.Description = strings.TrimSpace(cmd.Description) + "\n\n" + failure.ExitCodeTable
	}
	return cmd
}
