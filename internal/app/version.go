package app

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func versionLine(b Build) string {
	return fmt.Sprintf("omdeploy %s (commit %s, built %s, %s %s/%s)", b.Version, b.Commit, b.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand(b Build) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit and build date",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintln(c.App.Writer, versionLine(b))
			return err
		},
	}
}
