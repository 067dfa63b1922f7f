package app

import (
	"context"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
)

func versionLine(b Build) string {
	return fmt.Sprintf("omdeploy %s (commit %s, built %s, %s %s/%s)", b.Version, b.Commit, b.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand(d deps, b Build) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "version",
		Usage: "print the version, commit and build date",
		Action: func(c *cli.Context) error {
			if str(c, flagOutput) != report.OutputJSON {
				_, err := fmt.Fprintln(c.App.Writer, versionLine(b))
				return err
			}
			return action(d, false, func(_ context.Context, _ *cli.Context, env *runEnv) error {
				doc := env.document(nil)
				doc.Version = &result.Version{Version: b.Version, Commit: b.Commit, Date: b.Date, Go: runtime.Version()}
				return env.finish(doc, nil)
			})(c)
		},
	}, []string{flagOutput})
}
