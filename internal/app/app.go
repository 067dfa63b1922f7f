// Package app is omdeploy's command line: it maps flags to plain options,
// calls one function in deploy/, preflight/ or healthcheck/, renders the
// result and chooses the exit code. It holds no deploy logic.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
)

// Build identifies the binary: the linker sets it, ResolveBuild completes it.
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
	var rest []string // the command line without the program's name
	if len(args) > 0 {
		rest = args[1:]
	}
	if words, ok := completionRequest(rest); ok {
		// Answered here so that urfave never sees the flag: a completion
		// must never run an action.
		complete(s.Out, a, words, strings.HasSuffix(os.Getenv("0"), "zsh"))
		return failure.ExitOK
	}
	err := a.RunContext(ctx, args)
	if err == nil {
		return failure.ExitOK
	}
	var reported *reportedError
	var usage *usageError
	switch {
	case errors.As(err, &usage):
		showUsageError(s, rest, usage, err)
	case !errors.As(err, &reported):
		// An error no view has shown: say it once, plainly.
		fmt.Fprintf(s.Err, "omdeploy: %v\n", err)
	}
	return failure.ExitCode(err)
}

// reportedError marks an error the renderer already showed, so Run does not
// print it twice.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// metaBuild is the key of the app's Build in cli.App.Metadata.
const metaBuild = "build"

var versionPrinter sync.Once

func newApp(build Build, s *iostreams.IO, d deps) *cli.App {
	versionPrinter.Do(func() {
		// A package variable of urfave's: set once, so that runs in parallel
		// (tests) do not race; each app carries its own build.
		cli.VersionPrinter = func(c *cli.Context) {
			b, _ := c.App.Metadata[metaBuild].(Build)
			fmt.Fprintln(c.App.Writer, versionLine(b))
		}
	})
	return &cli.App{
		Metadata: map[string]any{metaBuild: build},
		Name:     "omdeploy",
		Usage:    "deploy services to AWS ECS: preflight, rollout, health, rollback",
		Version:  build.Version,
		Description: "omdeploy checks what a deploy needs before it starts, registers a new task-definition revision,\n" +
			"follows that deployment to its end, verifies the service's health endpoints, and rolls back on failure.\n\n" +
			failure.ExitCodeTable,
		Writer:    s.Out,
		ErrWriter: s.Err,
		Flags:     globalFlags(),
		// Completion is answered before urfave runs (see complete); its own
		// would run the action when the flag follows "--".
		EnableBashCompletion: false,
		HideHelpCommand:      true,
		OnUsageError:         onUsageError,
		Action:               unknownCommand,
		Commands: []*cli.Command{
			deployCommand(d),
			planCommand(d),
			renderCommand(d),
			preflightCommand(d),
			waitCommand(d),
			continueCommand(d),
			healthCommand(d),
			statusCommand(d),
			historyCommand(d),
			rollbackCommand(d),
			unlockCommand(d),
			runCommand(d),
			logsCommand(d),
			demoCommand(d),
			initCommand(d),
			runbookCommand(d),
			completionCommand(),
			versionCommand(d, build),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // exit codes are chosen in Run, never by urfave
	}
}

// withGlobal adds the global flags that apply to a command (the groups
// named) to its own, so that both `omdeploy --output json deploy` and
// `omdeploy deploy --output json` work, and its help lists only flags that
// change what it does.
func withGlobal(cmd *cli.Command, groups ...[]string) *cli.Command {
	cmd.Flags = append(cmd.Flags, globalFlagsNamed(groups...)...)
	cmd.OnUsageError = onUsageError
	return cmd
}
