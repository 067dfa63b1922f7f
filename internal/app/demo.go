package app

import "github.com/urfave/cli/v2"

func demoCommand() *cli.Command {
	return withGlobal(&cli.Command{Name: "demo", Usage: "run the whole pipeline against a built-in simulator, no AWS needed", Action: notImplemented})
}
