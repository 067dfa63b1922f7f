package app

import "github.com/urfave/cli/v2"

func deployCommand() *cli.Command {
	return withGlobal(&cli.Command{Name: "deploy", Usage: "deploy a new image (or force a new deployment)", Action: notImplemented})
}

func waitCommand() *cli.Command {
	return withGlobal(&cli.Command{Name: "wait", Usage: "wait for the services' current deployments to finish", Action: notImplemented})
}

func statusCommand() *cli.Command {
	return withGlobal(&cli.Command{Name: "status", Usage: "show task definitions, deployments and recent events", Action: notImplemented})
}

func rollbackCommand() *cli.Command {
	return withGlobal(&cli.Command{Name: "rollback", Usage: "go back to the previous task definition, then wait", Action: notImplemented})
}

func demoCommand() *cli.Command {
	return withGlobal(&cli.Command{Name: "demo", Usage: "run the whole pipeline against a built-in simulator, no AWS needed", Action: notImplemented})
}
