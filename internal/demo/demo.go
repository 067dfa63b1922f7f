// Package demo runs `omdeploy demo`: the real pipeline — preflight,
// register, update, rollout, health, rollback — against the in-memory ECS
// simulator (internal/sim) and a real HTTP health server on 127.0.0.1, with
// no AWS account and no credentials. A scenario picks which failure, if
// any, the run meets; its exit code comes from the pipeline's error, as in
// a real deploy.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/sim"
	"github.com/omdeploy/omdeploy/preflight"
)

// Options configure Run. Zero values take the documented defaults.
type Options struct {
	Scenario string   // a Scenario's Name; "" is DefaultScenario
	Services []string // deploy only these services of the demo config; nil: the scenario's
	// Speed runs the simulated time this many times faster than the wall
	// clock (rollouts, polling, timeouts, health backoff); default 1, the
	// speed a person watches. Tests use more.
	Speed float64

	Reporter event.Reporter // default event.Nop
	Logger   *slog.Logger   // default: discards
	// Note receives the line that says what the demo is, once the
	// simulated account and the health server are up; nil: not shown.
	Note func(line string)
}

func (o Options) withDefaults() Options {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Reporter == nil {
		o.Reporter = event.Nop{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Note == nil {
		o.Note = func(string) {}
	}
	return o
}

// Run builds the simulated account, the health server and a temporary
// workspace with omdeploy.yaml, loads that config, and runs deploy.Deploy
// with the real preflight and health checker, exactly as `omdeploy deploy`
// wires them. Everything it created is gone when it returns. The error is
// the pipeline's (so failure.ExitCode gives the scenario's exit code), or a
// config failure for an unknown scenario or a scenario that needs git.
func Run(ctx context.Context, opts Options) (deploy.Result, error) {
	opts = opts.withDefaults()
	sc, err := Find(opts.Scenario)
	if err != nil {
		return deploy.Result{}, err
	}
	if _, err := exec.LookPath("git"); err != nil && sc.NeedsGit {
		return deploy.Result{}, failure.New(failure.StageConfig, "", "", fmt.Errorf(
			"demo scenario %s shows a file committed to git, and git is not installed (%w); install git or pick another scenario", sc.Name, err))
	}

	clk := clockFor(opts.Speed)
	account := sim.NewDemo(clk)
	if sc.account != nil {
		sc.account(account)
	}
	srv, err := startServer(clk)
	if err != nil {
		return deploy.Result{}, err
	}
	defer srv.close()
	if sc.server != nil {
		sc.server(srv)
	}
	ws, err := newWorkspace(ctx, sc.NeedsGit)
	if err != nil {
		return deploy.Result{}, err
	}
	defer ws.remove()

	cfg, services, err := loadConfig(ws, sc, srv.url, opts.Services)
	if err != nil {
		return deploy.Result{}, err
	}
	opts.Note(intro(sc, services, srv.url))
	return deploy.Deploy(ctx, pipeline(opts, sc, account, srv, clk, cfg, services))
}

// loadConfig writes the scenario's omdeploy.yaml and loads it with the real
// loader, selecting the services to deploy: those asked for, else the
// scenario's.
func loadConfig(ws *workspace, sc Scenario, baseURL string, selected []string) (*config.File, []config.Service, error) {
	spec := defaultConfig(baseURL)
	if sc.config != nil {
		sc.config(&spec)
	}
	path, err := ws.writeConfig(spec)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(path, noEnv)
	if err != nil {
		return nil, nil, fmt.Errorf("demo config: %w", err)
	}
	if selected == nil {
		selected = sc.Services
	}
	services, err := cfg.Select(selected)
	if err != nil {
		return nil, nil, failure.New(failure.StageConfig, "", "", err)
	}
	return cfg, services, nil
}

// pipeline wires deploy.Deploy as `omdeploy deploy` does — the real
// preflight checklist, the real health checker — with the simulated
// account in place of the SDK clients. The health server sees the events
// too, to start its 503 window when a health stage starts.
func pipeline(opts Options, sc Scenario, account *sim.Sim, srv *healthServer, clk clock.Clock, cfg *config.File, services []config.Service) deploy.Options {
	// Every event reads the demo's clock, those of the preflight checks and
	// the health checker (which wait on the wall clock) too, so that the
	// times shown go forward at the demo's pace throughout.
	rep := event.Stamped(event.Tee{opts.Reporter, event.Func(srv.observe)}, clk.Now)
	apis := &preflight.AWSAPIs{
		Region: sim.Region, RegionSource: awsx.RegionFromConfig, Credentials: simCredentials,
		STS: account, IAM: account, ECS: account,
		SSMIn:  func(string) preflight.SSMAPI { return account },
		LogsIn: func(string) preflight.LogsAPI { return account },
	}
	return deploy.Options{
		Services: services,
		Tag:      sc.Tag,
		ECS:      account,
		Logs:     func(string) deploy.LogsAPI { return account },
		Region:   sim.Region,
		Preflight: func(ctx context.Context) ([]preflight.Check, error) {
			return preflight.Run(ctx, preflight.Options{
				Config: cfg, Services: services, AWS: apis,
				Reporter: rep, Logger: opts.Logger, Clock: clk,
			})
		},
		// The checker waits on the wall clock; its backoff follows the
		// demo's speed so a test meets the same number of 503s.
		Health: healthcheck.New(healthcheck.Options{
			MinBackoff: scale(healthcheck.DefaultMinBackoff, opts.Speed),
			MaxBackoff: scale(healthcheck.DefaultMaxBackoff, opts.Speed),
			Reporter:   rep, Logger: opts.Logger,
		}),
		Clock:    clk,
		Reporter: rep,
		Logger:   opts.Logger,
	}
}

// simCredentials stand in for a profile's: preflight resolves them first,
// as it would real ones, and names their source.
var simCredentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "ASIASIMULATED", SecretAccessKey: "simulated", Source: "the demo's simulated account"}, nil
})

// noEnv expands no ${VAR}: the demo config has none, and the demo must not
// depend on the caller's environment.
func noEnv(string) (string, bool) { return "", false }

// intro is the line that says what the demo is about to do.
func intro(sc Scenario, services []config.Service, baseURL string) string {
	return fmt.Sprintf("omdeploy demo (scenario %s): deploying tag %s to %s in a simulated AWS account (%s, cluster %s) "+
		"with health checks against a local server at %s; no AWS calls, no credentials needed.",
		sc.Name, sc.Tag, serviceList(services), sim.Account, sim.DemoCluster, baseURL)
}

// Closing is the line shown after the result: the command that does the
// same against AWS. It is "" when the demo did not run (an unknown
// scenario, git missing), since there is nothing to repeat for real.
func Closing(opts Options, err error) string {
	sc, ferr := Find(opts.Scenario)
	if ferr != nil {
		return ""
	}
	if stage, ok := failure.StageOf(err); ok && stage == failure.StageConfig {
		return ""
	}
	if len(opts.Services) > 0 {
		sc.Services = opts.Services
	}
	cmd := "omdeploy deploy"
	for _, s := range sc.Services {
		cmd += " --service " + s
	}
	cmd += " --tag " + sc.Tag
	line := fmt.Sprintf("That was the simulator. For real: `omdeploy init` writes omdeploy.yaml for your cluster, then `%s` runs the same pipeline against AWS.", cmd)
	if sc.Name == DefaultScenario {
		line += " Failure paths: `omdeploy demo --list`."
	}
	return line
}

func serviceList(services []config.Service) string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.Name
	}
	switch len(names) {
	case 0:
		return "no service"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
