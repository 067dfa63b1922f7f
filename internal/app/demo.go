package app

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
)

const (
	flagScenario = "scenario"
	flagList     = "list"
	flagSpeed    = "speed"
)

func demoCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "demo",
		Usage: "run the whole pipeline against a built-in simulator, no AWS needed",
		Description: `Runs the real pipeline — preflight, register, update, rollout, health, rollback — against
an in-memory ECS account and a health server on 127.0.0.1, and prints what a real deploy
prints. It makes no AWS calls and needs no credentials; --config, --region, --profile and
--endpoint-url do not apply. The healthy deploy takes about ten seconds.

EXAMPLES:
   omdeploy demo                          # web, api and worker roll out and pass health
   omdeploy demo --list                   # the failure scenarios and their exit codes
   omdeploy demo --scenario crash-loop    # diagnosis with exit code and log lines, rollback
   omdeploy demo --output json            # the JSON document a real deploy writes`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagScenario, Value: demo.DefaultScenario, Usage: "the failure to show, `NAME` from --list"},
			&cli.BoolFlag{Name: flagList, Usage: "list the scenarios with their exit codes"},
			// Tests run the simulated time faster; people watch at 1.
			&cli.Float64Flag{Name: flagSpeed, Value: 1, Hidden: true, EnvVars: []string{"OMDEPLOY_DEMO_SPEED"}},
		},
		Action: func(c *cli.Context) error {
			if c.Bool(flagList) {
				_, err := fmt.Fprint(c.App.Writer, demo.List())
				return err
			}
			return action(d, false, runDemo)(c)
		},
	}, viewFlags, []string{flagService})
}

func runDemo(ctx context.Context, c *cli.Context, env *runEnv) error {
	opts := demo.Options{
		Scenario: c.String(flagScenario),
		Services: strSlice(c, flagService),
		Speed:    c.Float64(flagSpeed),
		Reporter: env.renderer,
		Logger:   env.logger,
		Note:     demoNote(c, env),
	}
	res, err := demo.Run(ctx, opts)
	doc := env.document(err)
	doc.Checks, doc.Services = res.Checks, res.Services
	doc.Demo = &result.Demo{Scenario: opts.Scenario}
	err = env.finish(doc, err)
	if line := demo.Closing(opts, err); line != "" {
		opts.Note(line)
	}
	return err
}

// demoNote shows the demo's own lines on stderr, above a live view, or as
// a log record when progress is JSON lines.
func demoNote(c *cli.Context, env *runEnv) func(string) {
	if env.progressLog != nil {
		return func(line string) { env.progressLog.Info(line, report.KeyEvent, "demo_note") }
	}
	w := env.renderer.Writer()
	return func(line string) { fmt.Fprintln(w, line) }
}
