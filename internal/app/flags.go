package app

import (
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// Global flag names; each is also read from the environment.
const (
	flagConfig       = "config"
	flagService      = "service"
	flagRegion       = "region"
	flagProfile      = "profile"
	flagEndpointURL  = "endpoint-url"
	flagOutput       = "output"
	flagLogFormat    = "log-format"
	flagVerbose      = "verbose"
	flagNoColor      = "no-color"
	flagTimeout      = "timeout"
	flagReadTimeout  = "aws-read-timeout"
	flagWriteTimeout = "aws-write-timeout"
)

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagConfig, Aliases: []string{"c"}, Value: "omdeploy.yaml", EnvVars: []string{"OMDEPLOY_CONFIG"}, Usage: "config `FILE`"},
		&cli.StringSliceFlag{Name: flagService, Aliases: []string{"s"}, EnvVars: []string{"OMDEPLOY_SERVICE"}, Usage: "service `NAME` from the config (repeatable)", DefaultText: "all"},
		&cli.StringFlag{Name: flagRegion, EnvVars: []string{"AWS_REGION"}, Usage: "AWS `REGION`", DefaultText: "the config's, then the profile's"},
		&cli.StringFlag{Name: flagProfile, EnvVars: []string{"AWS_PROFILE"}, Usage: "AWS shared config `PROFILE` (SSO and assume-role work as in the aws CLI)"},
		&cli.StringFlag{Name: flagEndpointURL, EnvVars: []string{"OMDEPLOY_ENDPOINT_URL"}, Usage: "send every AWS call to `URL` (an emulator such as moto); AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> also work"},
		&cli.StringFlag{Name: flagOutput, Aliases: []string{"o"}, Value: "text", EnvVars: []string{"OMDEPLOY_OUTPUT"}, Usage: "`FORMAT` of the result on stdout: text, or json (one JSON document)"},
		&cli.StringFlag{Name: flagLogFormat, Value: "text", EnvVars: []string{"OMDEPLOY_LOG_FORMAT"}, Usage: "`FORMAT` of the progress on stderr: text, or json (slog JSON lines)"},
		&cli.BoolFlag{Name: flagVerbose, EnvVars: []string{"OMDEPLOY_VERBOSE"}, Usage: "show every API poll and health attempt"},
		&cli.BoolFlag{Name: flagNoColor, Usage: "no colours or live view (NO_COLOR set to anything does the same)"},
		&cli.DurationFlag{Name: flagTimeout, EnvVars: []string{"OMDEPLOY_TIMEOUT"}, Usage: "give up on the whole run after `DURATION`", DefaultText: "no limit beyond each service's wait_timeout"},
		&cli.DurationFlag{Name: flagReadTimeout, Value: awsx.DefaultReadTimeout, EnvVars: []string{"OMDEPLOY_AWS_READ_TIMEOUT"}, Usage: "give up on one attempt of an AWS read (Describe*, List*, Get*) after `DURATION`; the SDK retries it"},
		&cli.DurationFlag{Name: flagWriteTimeout, Value: awsx.DefaultWriteTimeout, EnvVars: []string{"OMDEPLOY_AWS_WRITE_TIMEOUT"}, Usage: "give up on an AWS write (RegisterTaskDefinition, UpdateService) after `DURATION`; omdeploy then reads back whether it was applied"},
	}
}

// Which global flags a command lists: those that change what it does.
// Every global flag is also accepted before the command name.
var (
	// viewFlags choose how any command that renders a result shows it.
	viewFlags = []string{flagOutput, flagLogFormat, flagVerbose, flagNoColor, flagTimeout}
	// configFlags choose the config and its services.
	configFlags = []string{flagConfig, flagService}
	// awsFlags choose how to reach AWS.
	awsFlags = []string{flagRegion, flagProfile, flagEndpointURL, flagReadTimeout, flagWriteTimeout}
)

// globalFlagsNamed are the global flags with the given names, in the
// order of globalFlags.
func globalFlagsNamed(names ...[]string) []cli.Flag {
	var out []cli.Flag
	for _, f := range globalFlags() {
		for _, group := range names {
			if slices.Contains(group, f.Names()[0]) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// lookup reads a flag set at the innermost level: the command's own flag
// wins over the same flag given before the command name.
func lookup[T any](c *cli.Context, name string, get func(*cli.Context, string) T) T {
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.IsSet(name) {
			return get(ctx, name)
		}
	}
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return get(ctx, name)
		}
	}
	return get(c, name)
}

func str(c *cli.Context, name string) string {
	return lookup(c, name, (*cli.Context).String)
}

func boolean(c *cli.Context, name string) bool {
	return lookup(c, name, (*cli.Context).Bool)
}

func duration(c *cli.Context, name string) time.Duration {
	return lookup(c, name, (*cli.Context).Duration)
}

func strSlice(c *cli.Context, name string) []string {
	return lookup(c, name, (*cli.Context).StringSlice)
}
