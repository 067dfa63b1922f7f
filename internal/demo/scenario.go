package demo

import (
	"fmt"
	"strings"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// Scenario is one path through the pipeline the demo can show.
type Scenario struct {
	Name    string
	Summary string // one line, for `omdeploy demo --list`
	// Exit is the exit code this scenario ends with. It documents the
	// scenario; the demo's real exit code always comes from the pipeline's
	// error, and the tests check the two agree.
	Exit int
	// RunbookID is the runbook entry whose diagnosis and fix the failure
	// shows; "" when the deploy succeeds.
	RunbookID string
	Services  []string // deployed, in config order; nil: every service
	Tag       string   // the image tag deployed
	NeedsGit  bool     // the scenario shows a git state, so git must be installed
	// WaitUntil is the deploy's --wait-until: where the run stops
	// following the service deployment, successfully; "" follows it to its
	// end.
	WaitUntil string
	// Pace runs this scenario's simulated time so many times faster than
	// Options.Speed says (default 1): a time-lapse, so that minutes of bake
	// time pass in seconds of a person's watching.
	Pace float64

	config  func(*configSpec)
	account func(*sim.Sim)
	server  func(*healthServer)
}

// DefaultScenario is what `omdeploy demo` shows without --scenario.
const DefaultScenario = "healthy"

// warmFor is how long the health server answers 503 after the rollout in
// the health-503-then-ok scenario.
const warmFor = 3 * time.Second

// The circuit-breaker scenario's tasks start, then fail the load
// balancer's health checks: the stopped tasks match no more specific
// runbook entry, so the breaker's own entry explains them.
var elbFailure = sim.Rollout{Outcome: sim.OutcomeFailTasks, Stop: sim.TaskStop{
	Reason:   "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-web/6d0ecf831eec9f09)",
	Code:     ecstypes.TaskStopCodeServiceSchedulerInitiated,
	ExitCode: ptr[int32](143),
	Logs: []string{
		`level=info msg="listening" addr=:8080 version=v2`,
		`level=error msg="GET /healthz" status=500 err="redis: connection pool exhausted (size 10)"`,
		`level=info msg="received SIGTERM, shutting down"`,
	},
}}

var scenarios = []Scenario{
	{
		Name:    DefaultScenario,
		Summary: "web, api and worker roll out tag v2 and pass their health checks (the default)",
		Exit:    failure.ExitOK, Tag: "v2",
	},
	{
		Name:    "circuit-breaker",
		Summary: "web's new tasks fail the load balancer's health checks; ECS's circuit breaker fails the deployment and rolls back",
		Exit:    failure.ExitRollout, RunbookID: runbook.RolloutCircuitBreaker, Services: []string{"web"}, Tag: "v2",
		account: func(s *sim.Sim) { s.Script(sim.DemoCluster, "web", elbFailure) },
	},
	{
		Name:    "crash-loop",
		Summary: "api's new container exits 1 (database unreachable); the diagnosis shows exit codes and log lines, omdeploy rolls back",
		Exit:    failure.ExitRollout, RunbookID: runbook.RolloutCrashLoop, Services: []string{"api"}, Tag: sim.DemoTagCrash,
	},
	{
		Name:    "phantom-route",
		Summary: "the config declares /api/health, which web does not serve (404); health fails, omdeploy rolls back",
		Exit:    failure.ExitHealth, RunbookID: runbook.HealthPhantomRoute, Services: []string{"web"}, Tag: "v2",
		config: func(c *configSpec) {
			web := c.service("web")
			web.endpoints = append(web.endpoints, endpointSpec{path: "/api/health"})
		},
	},
	{
		Name:    "health-503-then-ok",
		Summary: fmt.Sprintf("web answers 503 for %s after the rollout, as while traffic shifts; the retries ride it out", warmFor),
		Exit:    failure.ExitOK, Services: []string{"web"}, Tag: "v2",
		server: func(h *healthServer) { h.warmService, h.warmFor = "web", warmFor },
	},
	{
		Name:    "missing-ssm-parameter",
		Summary: "the config needs /demo/api/DB_PASSWORD_V2, which does not exist in the region; preflight stops the deploy",
		Exit:    failure.ExitPreflight, RunbookID: runbook.SSMParameterMissing, Services: []string{"api"}, Tag: "v2",
		config: func(c *configSpec) { c.ssmParameters = append(c.ssmParameters, "/demo/api/DB_PASSWORD_V2") },
	},
	{
		Name:    "missing-image",
		Summary: "web is deployed with a tag CI never pushed to ECR; preflight names the repository, tag and region, and nothing is registered",
		Exit:    failure.ExitPreflight, RunbookID: runbook.ImageMissing, Services: []string{"web"}, Tag: sim.DemoTagMissing,
	},
	{
		Name:    "tracked-secret",
		Summary: "a file under .secrets/ was committed with `git add -f`; preflight names it and the `git rm --cached` fix",
		Exit:    failure.ExitPreflight, RunbookID: runbook.SecretTracked, Services: []string{"web"}, Tag: "v2", NeedsGit: true,
	},
	{
		Name:    "expired-token",
		Summary: "STS answers ExpiredToken: the session ran out; preflight gives the login command",
		Exit:    failure.ExitPreflight, RunbookID: runbook.AWSExpiredToken, Services: []string{"web"}, Tag: "v2",
		account: func(s *sim.Sim) {
			s.Fail("GetCallerIdentity", "ExpiredToken", "The security token included in the request is expired")
		},
	},
	{
		Name: "failed-migration",
		Summary: "api's release task (a database migration) exits 1 before the update; its log lines stream live, " +
			"the service is never updated",
		Exit: failure.ExitRelease, RunbookID: runbook.ReleaseExitNonZero, Services: []string{"api"}, Tag: "v2",
		config: func(c *configSpec) { c.service("api").extra = migrationTask },
		account: func(s *sim.Sim) {
			s.ScriptTasks(sim.TaskScript{ExitCode: 1, Duration: 8 * time.Second, Logs: []string{
				`level=info msg="migrating" from=41 to=43`,
				`level=info msg="applied" migration=0042_add_orders_index duration=1.2s`,
				`level=error msg="migration failed" migration=0043_users_email_unique err="could not create unique index \"users_email_key\": key (email)=(a@example.com) is duplicated"`,
				`level=fatal msg="rolling back transaction; exiting" code=1`,
			}})
		},
	},
	{
		Name: "blue-green",
		Summary: fmt.Sprintf("web deploys BLUE_GREEN: green scales up, takes test traffic, then production traffic, bakes for %s "+
			"while alarm %s stays quiet, and the service deployment ends SUCCESSFUL (a %dx time-lapse)", bakeTime, webAlarm, sdPace),
		Exit: failure.ExitOK, Services: []string{"web"}, Tag: "v2", Pace: sdPace,
		account: func(s *sim.Sim) {
			s.SetStrategy(sim.DemoCluster, "web", sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: bakeTime,
				Alarms: []string{webAlarm}, AlarmRollback: true, StageTime: stageTime})
		},
	},
	{
		Name: "canary-alarm-rollback",
		Summary: fmt.Sprintf("web deploys CANARY (10%% of production for %s); alarm %s fires during the canary's bake, "+
			"ECS rolls back, and omdeploy names the alarm (a %dx time-lapse)", canaryBake, webAlarm, sdPace),
		Exit: failure.ExitRollout, RunbookID: runbook.RolloutAlarm, Services: []string{"web"}, Tag: "v2", Pace: sdPace,
		account: func(s *sim.Sim) {
			s.SetStrategy(sim.DemoCluster, "web", sim.Strategy{Kind: ecstypes.DeploymentStrategyCanary, CanaryPct: 10, CanaryBake: canaryBake,
				BakeTime: bakeTime, Alarms: []string{webAlarm}, AlarmRollback: true, StageTime: stageTime})
			s.Script(sim.DemoCluster, "web", sim.Healthy().AlarmAfter(webAlarm, time.Minute))
		},
	},
	{
		Name: "paused-hook",
		Summary: "web deploys BLUE_GREEN with a PAUSE hook after the test traffic shift; the deploy runs with --wait-until paused, " +
			"stops there with exit 0 while production still goes to blue, and prints the `omdeploy continue` that moves it on",
		Exit: failure.ExitOK, Services: []string{"web"}, Tag: "v2", WaitUntil: deploy.WaitUntilPaused, Pace: sdPace,
		account: func(s *sim.Sim) {
			s.SetStrategy(sim.DemoCluster, "web", sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: bakeTime, StageTime: stageTime,
				PauseAt: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift}})
		},
	},
	{
		Name:    "timeout",
		Summary: "worker's new task takes two minutes to start, longer than its wait_timeout of 8s; omdeploy gives up and rolls back",
		Exit:    failure.ExitRollout, RunbookID: runbook.RolloutTimeout, Services: []string{"worker"}, Tag: sim.DemoTagSlow,
		config: func(c *configSpec) { c.service("worker").waitTimeout = 8 * time.Second },
	},
	{
		Name: "elb-phantom-route",
		Summary: "web's target group checks /health, which web does not serve: preflight warns and its probe gets 404; " +
			"the new targets fail with [404], the diagnosis names the phantom route, ECS rolls back",
		Exit: failure.ExitRollout, RunbookID: runbook.LBTargetsPhantomRoute, Services: []string{"web"}, Tag: "v2",
		account: func(s *sim.Sim) {
			s.SetHealthCheckPath("demo-web", "/health")
			s.Script(sim.DemoCluster, "web", sim.FailsHealthChecks(
				sim.TargetUnhealthy(elbtypes.TargetHealthReasonEnumResponseCodeMismatch, 404),
				`level=info msg="listening" addr=:8080 version=v2`,
				`level=info msg="GET /health" status=404 user_agent="ELB-HealthChecker/2.0"`,
				`level=info msg="received SIGTERM, shutting down"`))
		},
	},
}

// The service-deployment scenarios' settings: web deploys blue/green or
// canary, watched by a CloudWatch alarm, on a time-lapse of sdPace.
const (
	sdPace     = 20
	webAlarm   = "demo-web-5xx"
	bakeTime   = time.Minute
	canaryBake = 2 * time.Minute
	// stageTime is how long each traffic stage holds, long enough for a
	// person (and a poll) to see test traffic before production moves.
	stageTime = 3 * time.Second
)

// Scenarios lists every scenario, the default first.
func Scenarios() []Scenario { return append([]Scenario(nil), scenarios...) }

// Find returns the scenario named name ("" is the default). An unknown
// name is a config failure (exit 2) that lists the known ones.
func Find(name string) (Scenario, error) {
	if name == "" {
		name = DefaultScenario
	}
	for _, s := range scenarios {
		if s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, failure.New(failure.StageConfig, "", "", fmt.Errorf("unknown demo scenario %q; known: %s (see `omdeploy demo --list`)", name, strings.Join(names(), ", ")))
}

func names() []string {
	out := make([]string, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.Name
	}
	return out
}

// List is the text of `omdeploy demo --list`: each scenario with its exit
// code and one line.
func List() string {
	var b strings.Builder
	b.WriteString("Scenarios of `omdeploy demo --scenario NAME` (exit code, then what it shows):\n")
	width := 0
	for _, s := range scenarios {
		width = max(width, len(s.Name))
	}
	for _, s := range scenarios {
		fmt.Fprintf(&b, "  %-*s  %d  %s\n", width, s.Name, s.Exit, s.Summary)
	}
	return b.String()
}

// migrationTask is the failed-migration scenario's release task.
const migrationTask = `    release:
      - name: migrate
        command: [bin/migrate, up]
        environment:
          MIGRATIONS_LOCK_TIMEOUT: 30s
        timeout: 2m
`

func ptr[T any](v T) *T { return &v }
