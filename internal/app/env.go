package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
)

// runEnv is what every command shares: the config, the renderer, the logger
// and, built on first use, the AWS clients.
type runEnv struct {
	command  string
	start    time.Time
	cfg      *config.File
	services []config.Service
	renderer *report.Renderer
	logger   *slog.Logger // the stages' detail: see stageHandler
	// progressLog writes the events as records with --log-format json; nil
	// otherwise.
	progressLog *slog.Logger
	aws         awsx.Options
	deps        deps
}

// action is how every command that renders a result runs: setup maps the
// global flags to a run environment (config, views, logger, timeout), then
// body does the command's one job and renders through env.finish. A setup
// failure is rendered like any other.
func action(d deps, needConfig bool, body func(ctx context.Context, c *cli.Context, env *runEnv) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		env, ctx, cancel, err := setup(c, d, needConfig)
		defer cancel()
		var usage *usageError
		switch {
		case errors.As(err, &usage):
			return err // Run shows it: the views are not chosen yet
		case err != nil:
			return env.fail(err)
		}
		return body(ctx, c, env)
	}
}

// setup parses the global flags and, when needConfig, loads the config. The
// returned context carries the run's one timeout; the returned func ends the
// run's views and must be deferred.
func setup(c *cli.Context, d deps, needConfig bool) (*runEnv, context.Context, context.CancelFunc, error) {
	env := &runEnv{command: c.Command.Name, start: time.Now(), deps: d}
	output := str(c, flagOutput)
	logFormat := str(c, flagLogFormat)
	if err := validateFlags(c, output, logFormat); err != nil {
		return env, c.Context, func() {}, err
	}
	// Every event is a record at INFO (attempts and polls at DEBUG, with
	// --verbose); the stages' own logger adds only what no event says.
	level := slog.LevelInfo
	if boolean(c, flagVerbose) {
		level = slog.LevelDebug
	}
	var progressLog *slog.Logger
	if logFormat == "json" {
		progressLog = slog.New(slog.NewJSONHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level}))
	}
	// The views: see report.ProgressFor; GitHub Actions when GITHUB_ACTIONS=true.
	streams := *d.io
	if boolean(c, flagNoColor) {
		streams.DisableColor()
	}
	env.renderer = report.New(report.Options{
		IO:       &streams,
		Output:   output,
		Progress: report.ProgressFor(logFormat == "json", &streams),
		Verbose:  boolean(c, flagVerbose),
		Logger:   progressLog,
		GitHub:   report.GitHubFromEnv(os.LookupEnv),
	})
	env.progressLog = progressLog
	var handler slog.Handler
	if progressLog != nil {
		handler = progressLog.Handler()
	} else {
		// Text logs go through the renderer so they print above a live view
		// instead of tearing it.
		handler = slog.NewTextHandler(env.renderer.Writer(), &slog.HandlerOptions{Level: level})
	}
	env.logger = slog.New(stageHandler{Handler: handler, verbose: boolean(c, flagVerbose)})

	ctx, cancelCtx := c.Context, context.CancelFunc(func() {})
	if d := duration(c, flagTimeout); d > 0 {
		// The cause tells the run's --timeout from a service's wait_timeout.
		ctx, cancelCtx = context.WithTimeoutCause(ctx, d, &failure.RunTimeout{After: d})
	}
	cancel := func() {
		cancelCtx()
		env.renderer.Close() // restores the cursor even when Finish never ran
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

// validateFlags checks the flags that choose the views, before any view
// exists: a bad value is a usage failure, shown on stderr.
func validateFlags(c *cli.Context, output, logFormat string) error {
	formats := []string{"text", "json"}
	if output != report.OutputText && output != report.OutputJSON {
		return newUsageError(c.Command, output, formats, fmt.Errorf("--output %q: expected text or json", output))
	}
	if logFormat != "text" && logFormat != "json" {
		return newUsageError(c.Command, logFormat, formats, fmt.Errorf("--log-format %q: expected text or json", logFormat))
	}
	return nil
}

// awsOptions resolves the region with its source: an explicit --region,
// then the config file, then AWS_REGION, then the profile (left to the SDK).
func awsOptions(c *cli.Context, cfg *config.File) awsx.Options {
	o := awsx.Options{
		Profile: str(c, flagProfile), EndpointURL: str(c, flagEndpointURL),
		Timeouts: awsx.Timeouts{Read: duration(c, flagReadTimeout), Write: duration(c, flagWriteTimeout)},
	}
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

// reporter is where the run's events go: the views, and whatever else
// deps observe with.
func (env *runEnv) reporter() event.Reporter {
	if env.deps.observe == nil {
		return env.renderer
	}
	return event.Tee{env.renderer, env.deps.observe}
}

// clients builds the AWS clients for a command that calls the SDK directly
// (init); the pipeline's commands build theirs through deps. Both pass
// pipeline.FromClients, so a broken profile or a missing region fails the
// same way, with its fix, before any call.
func (env *runEnv) clients(ctx context.Context) (*awsx.Clients, error) {
	c, err := awsx.Load(ctx, env.aws)
	if err := pipeline.FromClients(c, err).Unavailable(); err != nil {
		return nil, err
	}
	return c, nil
}

// document starts this run's document from how it ended; the caller adds
// the checks, services and its command's section.
func (env *runEnv) document(err error) result.Document {
	return result.New(env.command, err, time.Since(env.start))
}

// finish renders doc once and marks err, the error doc was built from, as
// shown.
func (env *runEnv) finish(doc result.Document, err error) error {
	if rerr := env.renderer.Finish(doc, err); rerr != nil && err == nil {
		return rerr
	}
	if err == nil {
		return nil
	}
	return &reportedError{err: err}
}

// fail ends a run that has nothing to show but err.
func (env *runEnv) fail(err error) error {
	return env.finish(env.document(err), err)
}

// finishRun ends a run of the deploy shape: checks and services.
func (env *runEnv) finishRun(checks []result.Check, services []result.Service, err error) error {
	doc := env.document(err)
	doc.Checks, doc.Services = checks, services
	return env.finish(doc, err)
}

// stageHandler is the stages' logger. Their INFO records (registered,
// updated, rolled back) each repeat an event the views already show, so
// they are left out and a run's story is told once, in one shape; what is
// left is detail no event carries: API polls and failed calls at DEBUG,
// with --verbose, and problems at WARN and above.
type stageHandler struct {
	slog.Handler
	verbose bool
}

// Enabled drops INFO, and DEBUG unless verbose.
func (h stageHandler) Enabled(ctx context.Context, l slog.Level) bool {
	switch {
	case l == slog.LevelInfo:
		return false
	case l < slog.LevelInfo && !h.verbose:
		return false
	}
	return h.Handler.Enabled(ctx, l)
}

// WithAttrs keeps the filter on a logger with attributes.
func (h stageHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return stageHandler{Handler: h.Handler.WithAttrs(attrs), verbose: h.verbose}
}

// WithGroup keeps the filter on a logger with a group.
func (h stageHandler) WithGroup(name string) slog.Handler {
	return stageHandler{Handler: h.Handler.WithGroup(name), verbose: h.verbose}
}
