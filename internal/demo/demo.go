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
	"github.com/omdeploy/omdeploy/internal/pipeline"
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

// Run prepares the simulated account, the health server and a temporary
// workspace with omdeploy.yaml (see Prepare), then runs pipeline.Deploy on
// them with the real preflight and health checker: the same function
// `omdeploy deploy` calls. Everything it created is gone when it returns.
// The error is the pipeline's (so failure.ExitCode gives the scenario's
// exit code), or a config failure for an unknown scenario or a scenario
// that needs git.
func Run(ctx context.Context, opts Options) (pipeline.Result, error) {
	opts = opts.withDefaults()
	env, err := Prepare(ctx, opts)
	if err != nil {
		return pipeline.Result{}, err
	}
	defer env.Close()
	opts.Note(intro(env.Scenario, env.Services, env.srv.url))
	return pipeline.Deploy(ctx, env.Pipeline(opts))
}

// Env is a prepared demo: a simulated account set up for the scenario, a
// health server on 127.0.0.1 and a workspace holding the scenario's
// omdeploy.yaml. Close removes all of it.
type Env struct {
	Scenario   Scenario
	ConfigPath string
	Config     *config.File
	Services   []config.Service // the services the scenario deploys
	// Clock paces the simulated account; anything that waits on it (the
	// engine's polls, timeouts) must use the same clock.
	Clock clock.Clock
	// Account is the simulated AWS account, set up for the scenario.
	Account *sim.Sim

	srv *healthServer
	ws  *workspace
}

// Prepare builds what a demo run deploys to without running it, so a test
// can point the CLI's own deploy at the same simulated account.
func Prepare(ctx context.Context, opts Options) (*Env, error) {
	opts = opts.withDefaults()
	sc, err := Find(opts.Scenario)
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("git"); err != nil && sc.NeedsGit {
		return nil, failure.New(failure.StageConfig, "", "", fmt.Errorf(
			"demo scenario %s shows a file committed to git, and git is not installed (%w); install git or pick another scenario", sc.Name, err))
	}
	env := &Env{Scenario: sc, Clock: clockFor(sc.speed(opts.Speed))}
	env.Account = sim.NewDemoECR(env.Clock)
	if sc.account != nil {
		sc.account(env.Account)
	}
	if env.srv, err = startServer(env.Clock); err != nil {
		return nil, err
	}
	if sc.server != nil {
		sc.server(env.srv)
	}
	if env.ws, err = newWorkspace(ctx, sc.NeedsGit); err != nil {
		env.Close()
		return nil, err
	}
	if err := env.loadConfig(opts.Services); err != nil {
		env.Close()
		return nil, err
	}
	return env, nil
}

// Close stops the health server and removes the workspace.
func (e *Env) Close() {
	if e.srv != nil {
		e.srv.close()
	}
	if e.ws != nil {
		e.ws.remove()
	}
}

// loadConfig writes the scenario's omdeploy.yaml and loads it with the real
// loader, selecting the services to deploy: those asked for, else the
// scenario's.
func (e *Env) loadConfig(selected []string) error {
	spec := defaultConfig(e.srv.url)
	if e.Scenario.config != nil {
		e.Scenario.config(&spec)
	}
	path, err := e.ws.writeConfig(spec)
	if err != nil {
		return err
	}
	cfg, err := config.Load(path, noEnv)
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	if selected == nil {
		selected = e.Scenario.Services
	}
	services, err := cfg.Select(selected)
	if err != nil {
		return failure.New(failure.StageConfig, "", "", err)
	}
	e.ConfigPath, e.Config, e.Services = path, cfg, services
	return nil
}

// AWS is the simulated account in the shape the pipeline calls AWS.
func (e *Env) AWS() pipeline.AWS {
	return pipeline.AWS{
		Preflight: &preflight.AWSAPIs{
			Region: sim.Region, RegionSource: awsx.RegionFromConfig, Credentials: simCredentials,
			STS: e.Account, IAM: e.Account, ECS: e.Account,
			SSMIn:  func(string) preflight.SSMAPI { return e.Account },
			LogsIn: func(string) preflight.LogsAPI { return e.Account },
			// The demo's images are in the simulated account's ECR, so
			// images.exist asks no real registry.
			ECRIn:     func(string) preflight.ECRAPI { return e.Account },
			SecretsIn: func(string) preflight.SecretsManagerAPI { return e.Account },
			ELBv2:     e.Account,
		},
		ECS:    e.Account,
		Tasks:  e.Account,
		Logs:   func(string) deploy.LogsAPI { return e.Account },
		ELB:    e.Account,
		Region: sim.Region,
	}
}

// Observer sees the run's events for the health server, which starts its
// 503 window when a health stage starts.
func (e *Env) Observer() event.Reporter { return event.Func(e.srv.observe) }

// Pipeline is the demo's run as pipeline options: the scenario's change,
// the simulated account, and a health checker whose backoff follows the
// demo's speed (it waits on the wall clock) so a test meets the same
// number of 503s.
func (e *Env) Pipeline(opts Options) pipeline.Options {
	opts = opts.withDefaults()
	// Every event reads the demo's clock, those of the preflight checks and
	// the health checker (which wait on the wall clock) too, so that the
	// times shown go forward at the demo's pace throughout.
	rep := event.Stamped(event.Tee{opts.Reporter, e.Observer()}, e.Clock.Now)
	return pipeline.Options{
		Config:   e.Config,
		Services: e.Services,
		AWS:      e.AWS(),
		Engine:   deploy.Options{Tag: e.Scenario.Tag, WaitUntil: e.Scenario.WaitUntil},
		Health: healthcheck.New(healthcheck.Options{
			MinBackoff: scale(healthcheck.DefaultMinBackoff, e.Scenario.speed(opts.Speed)),
			MaxBackoff: scale(healthcheck.DefaultMaxBackoff, e.Scenario.speed(opts.Speed)),
			Reporter:   rep, // every attempt is an event: no logger, or each is recorded twice
		}),
		Clock:    e.Clock,
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
	lapse := ""
	if sc.Pace > 1 {
		lapse = fmt.Sprintf(" Simulated time runs %gx faster than usual here (a time-lapse).", sc.Pace)
	}
	return fmt.Sprintf("omdeploy demo (scenario %s): deploying tag %s to %s in a simulated AWS account (%s, cluster %s) "+
		"with health checks against a local server at %s; no AWS calls, no credentials needed.%s",
		sc.Name, sc.Tag, serviceList(services), sim.Account, sim.DemoCluster, baseURL, lapse)
}

// speed is the simulated account's speed for a run at speed: the
// scenario's time-lapse on top.
func (sc Scenario) speed(speed float64) float64 {
	if sc.Pace > 1 {
		return speed * sc.Pace
	}
	return speed
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
	services := ""
	for _, s := range sc.Services {
		services += " --service " + s
	}
	cmd := "omdeploy deploy" + services + " --tag " + sc.Tag
	if sc.WaitUntil != "" {
		cmd += " --wait-until " + sc.WaitUntil
	}
	line := fmt.Sprintf("That was the simulator. For real: `omdeploy init` writes omdeploy.yaml for your cluster, then `%s` runs the same pipeline against AWS.", cmd)
	if sc.WaitUntil == deploy.WaitUntilPaused {
		line += fmt.Sprintf(" There, once the green side checks out on the test listener, `omdeploy continue%s` releases the hook and follows the rest to SUCCESSFUL.", services)
	}
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
