package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/report"
)

// runEnv is what every command shares: the config, the renderer, the logger
// and, built on first use, the AWS clients.
type runEnv struct {
	command  string
	start    time.Time
	cfg      *config.File
	services []config.Service
	renderer *report.Renderer
	logger   *slog.Logger
	aws      awsx.Options
}

// setup parses the global flags and, when needConfig, loads the config. The
// returned context carries the run's one timeout.
func setup(c *cli.Context, needConfig bool) (*runEnv, context.Context, context.CancelFunc, error) {
	env := &runEnv{command: c.Command.Name, start: time.Now()}
	output := str(c, flagOutput)
	logFormat := str(c, flagLogFormat)
	level := slog.LevelInfo
	if boolean(c, flagVerbose) {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	if logFormat == "json" {
		env.logger = slog.New(slog.NewJSONHandler(c.App.ErrWriter, hopts))
	} else {
		env.logger = slog.New(slog.NewTextHandler(c.App.ErrWriter, hopts))
	}
	env.renderer = newRenderer(c, output, logFormat, env.logger)

	ctx, cancel := c.Context, context.CancelFunc(func() {})
	if d := duration(c, flagTimeout); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	if err := env.validateFlags(output, logFormat); err != nil {
		return env, ctx, cancel, err
	}
	if needConfig {
		cfg, err := config.Load(str(c, flagConfig), os.LookupEnv)
		if err != nil {
			return env, ctx, cancel, failure.New(failure.StageConfig, "", "config.invalid", err)
		}
		services, err := cfg.Select(strSlice(c, flagService))
		if err != nil {
			return env, ctx, cancel, failure.New(failure.StageConfig, "", "config.invalid", err)
		}
		env.cfg, env.services = cfg, services
	}
	env.aws = awsOptions(c, env.cfg)
	if env.aws.EndpointURL != "" {
		if u, err := url.Parse(env.aws.EndpointURL); err != nil || u.Scheme == "" || u.Host == "" {
			return env, ctx, cancel, failure.New(failure.StageConfig, "", "", fmt.Errorf("--endpoint-url %q is not an absolute URL, e.g. http://127.0.0.1:5000", env.aws.EndpointURL))
		}
	}
	return env, ctx, cancel, nil
}

// newRenderer picks the views from the flags and the process: slog
// records for --log-format json; on a terminal, the live view unless
// --no-color, NO_COLOR or TERM=dumb asks for plain lines; plain timestamped
// lines otherwise (CI, pipes); GitHub Actions commands, step summary and
// outputs when GITHUB_ACTIONS=true.
func newRenderer(c *cli.Context, output, logFormat string, logger *slog.Logger) *report.Renderer {
	progress := report.ProgressPlain
	width, tty := report.Terminal(c.App.ErrWriter)
	plainWanted := boolean(c, flagNoColor) || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb"
	switch {
	case logFormat == "json":
		progress = report.ProgressJSON
	case tty && !plainWanted:
		progress = report.ProgressLive
	}
	return report.New(report.Options{
		Stdout:   c.App.Writer,
		Stderr:   c.App.ErrWriter,
		Output:   output,
		Progress: progress,
		Verbose:  boolean(c, flagVerbose),
		Logger:   logger,
		Width:    width,
		GitHub:   report.GitHubFromEnv(os.LookupEnv),
	})
}

func (env *runEnv) validateFlags(output, logFormat string) error {
	if output != report.OutputText && output != report.OutputJSON {
		return failure.New(failure.StageConfig, "", "", fmt.Errorf("--output %q: expected text or json", output))
	}
	if logFormat != "text" && logFormat != "json" {
		return failure.New(failure.StageConfig, "", "", fmt.Errorf("--log-format %q: expected text or json", logFormat))
	}
	return nil
}

// awsOptions resolves the region with its source: an explicit --region,
// then the config file, then AWS_REGION, then the profile (left to the SDK).
func awsOptions(c *cli.Context, cfg *config.File) awsx.Options {
	o := awsx.Options{Profile: str(c, flagProfile), EndpointURL: str(c, flagEndpointURL)}
	region := str(c, flagRegion)
	envRegion, fromEnv := os.LookupEnv("AWS_REGION")
	switch {
	case region != "" && !(fromEnv && envRegion == region):
		o.Region, o.RegionSource = region, awsx.RegionFromFlag
	case cfg != nil && cfg.Region != "":
		o.Region, o.RegionSource = cfg.Region, awsx.RegionFromConfig
	case region != "":
		o.Region, o.RegionSource = region, awsx.RegionFromEnv
	}
	return o
}

// clients builds the AWS clients once for the run. A failure here (a
// missing profile) is handed to preflight, which explains it with its fix.
func (env *runEnv) clients(ctx context.Context) (*awsx.Clients, error) {
	return awsx.Load(ctx, env.aws)
}

// finish renders the result once and marks the error as shown.
func (env *runEnv) finish(res deploy.Result, err error) error {
	doc := report.NewDocument(env.command, res, err, time.Since(env.start))
	if rerr := env.renderer.Finish(doc); rerr != nil && err == nil {
		return rerr
	}
	if err == nil {
		return nil
	}
	return &reportedError{err: err}
}
