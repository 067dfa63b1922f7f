package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// testSpeed makes a ten-second rollout take half a second.
const testSpeed = 20

func TestRunReturnsThePipelinesFailure(t *testing.T) {
	tests := []struct {
		scenario  string
		stage     failure.Stage
		exit      int
		runbookID string // of the returned error
	}{
		{DefaultScenario, "", failure.ExitOK, ""},
		{"crash-loop", failure.StageRollout, failure.ExitRollout, runbook.RolloutCrashLoop},
		{"expired-token", failure.StagePreflight, failure.ExitPreflight, runbook.AWSExpiredToken},
		{"missing-ssm-parameter", failure.StagePreflight, failure.ExitPreflight, runbook.SSMParameterMissing},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			var rec event.Recorder
			res, err := Run(t.Context(), Options{Scenario: tt.scenario, Speed: testSpeed, Reporter: &rec})
			if got := failure.ExitCode(err); got != tt.exit {
				t.Fatalf("exit code %d, want %d (err: %v)", got, tt.exit, err)
			}
			if stage, _ := failure.StageOf(err); stage != tt.stage {
				t.Errorf("stage %q, want %q", stage, tt.stage)
			}
			if id := failure.RunbookIDOf(err); id != tt.runbookID {
				t.Errorf("runbook %q, want %q", id, tt.runbookID)
			}
			if len(res.Checks) == 0 {
				t.Error("no preflight checks in the result: preflight did not run")
			}
			if len(event.Of[event.CheckFinished](rec.Events())) != len(res.Checks) {
				t.Error("the reporter did not get every check")
			}
		})
	}
}

func TestRunDeploysTheScenariosServices(t *testing.T) {
	res, err := Run(t.Context(), Options{Scenario: "health-503-then-ok", Speed: testSpeed})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Services) != 1 || res.Services[0].Name != "web" || res.Services[0].RolloutState != "COMPLETED" {
		t.Fatalf("services = %+v", res.Services)
	}
	for _, h := range res.Services[0].Health {
		if !h.OK || h.Attempts < 2 {
			t.Errorf("%s: ok=%v after %d attempts; want a pass after the 503s", h.URL, h.OK, h.Attempts)
		}
	}

	res, err = Run(t.Context(), Options{Services: []string{"worker"}, Speed: testSpeed})
	if err != nil || len(res.Services) != 1 || res.Services[0].Name != "worker" {
		t.Fatalf("--service worker: err %v, services %+v", err, res.Services)
	}
	_, err = Run(t.Context(), Options{Services: []string{"nope"}, Speed: testSpeed})
	if failure.ExitCode(err) != failure.ExitUsage || !strings.Contains(err.Error(), "web, api, worker") {
		t.Fatalf("unknown service: %v", err)
	}
}

// TestRunCleansUp checks the workspace is removed and the note names the
// local server.
func TestRunCleansUp(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var notes []string
	if _, err := Run(t.Context(), Options{Scenario: "tracked-secret", Speed: testSpeed, Note: func(s string) { notes = append(notes, s) }}); failure.ExitCode(err) != failure.ExitPreflight {
		t.Fatalf("err %v", err)
	}
	left, err := os.ReadDir(tmp)
	if err != nil || len(left) != 0 {
		t.Fatalf("left in the temporary directory: %v (%v)", left, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "http://127.0.0.1:") || !strings.Contains(notes[0], "no AWS calls") {
		t.Fatalf("notes = %q", notes)
	}
}

func TestFindAndList(t *testing.T) {
	if sc, err := Find(""); err != nil || sc.Name != DefaultScenario || sc.Exit != failure.ExitOK {
		t.Fatalf("Find(\"\") = %+v, %v", sc, err)
	}
	_, err := Find("nope")
	if failure.ExitCode(err) != failure.ExitUsage || !strings.Contains(err.Error(), "crash-loop") {
		t.Fatalf("Find(nope) = %v", err)
	}
	list := List()
	seen := map[string]bool{}
	for _, sc := range Scenarios() {
		if seen[sc.Name] {
			t.Errorf("scenario %s twice", sc.Name)
		}
		seen[sc.Name] = true
		if !strings.Contains(list, sc.Name) || !strings.Contains(list, sc.Summary) {
			t.Errorf("List() lacks %s", sc.Name)
		}
		if _, ok := runbook.Lookup(sc.RunbookID); sc.RunbookID != "" && !ok {
			t.Errorf("%s: no runbook entry %s", sc.Name, sc.RunbookID)
		}
		if (sc.Exit == failure.ExitOK) != (sc.RunbookID == "") {
			t.Errorf("%s: exit %d with runbook entry %q", sc.Name, sc.Exit, sc.RunbookID)
		}
	}
}

func TestClosing(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		err  error
		want string // "" : no line
	}{
		{"default", Options{}, nil, "`omdeploy deploy --tag v2`"},
		{"scenario", Options{Scenario: "crash-loop"}, failure.New(failure.StageRollout, "api", "", io.EOF), "`omdeploy deploy --service api --tag crash`"},
		{"services chosen", Options{Services: []string{"web", "api"}}, nil, "`omdeploy deploy --service web --service api --tag v2`"},
		{"unknown scenario", Options{Scenario: "nope"}, nil, ""},
		{"did not run", Options{Scenario: "tracked-secret"}, failure.New(failure.StageConfig, "", "", io.EOF), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Closing(tt.opts, tt.err)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("Closing = %q, want one with %q", got, tt.want)
			}
		})
	}
}

// TestHealthServer drives the handler without a listener, so that it runs
// in a synctest bubble where time.Sleep moves the server's clock: the real
// health checks of the demo's end-to-end tests go through the socket.
func TestHealthServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &healthServer{clk: clock.Real{}, warmService: "web", warmFor: 3 * time.Second}
		get := func(path string) int {
			t.Helper()
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			return rec.Code
		}
		steps := []struct {
			name string
			do   func()
			path string
			want int
		}{
			{"route", func() {}, "/healthz", 200},
			{"missing route", func() {}, "/api/health", 404},
			{"another service's health stage", func() { srv.observe(event.StageStarted{Service: "api", Stage: failure.StageHealth}) }, "/healthz", 200},
			{"web's health stage starts", func() { srv.observe(event.StageStarted{Service: "web", Stage: failure.StageHealth}) }, "/api/tech/health", 503},
			{"still warming", func() { time.Sleep(2 * time.Second) }, "/healthz", 503},
			{"warm", func() { time.Sleep(time.Second) }, "/healthz", 200},
			{"missing route stays missing", func() {}, "/api/health", 404},
		}
		for _, s := range steps {
			s.do()
			if got := get(s.path); got != s.want {
				t.Fatalf("%s: GET %s = %d, want %d", s.name, s.path, got, s.want)
			}
		}
	})
}

func TestWorkspace(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for _, track := range []bool{false, true} {
		ws, err := newWorkspace(t.Context(), track)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ws.remove)
		out, err := gitOutput(t.Context(), ws.dir, "ls-files", "--", ".secrets/")
		if err != nil {
			t.Fatal(err)
		}
		if tracked := strings.TrimSpace(out) == secretFile; tracked != track {
			t.Errorf("trackSecret %v: git ls-files .secrets/ = %q", track, out)
		}
		if _, err := gitOutput(t.Context(), ws.dir, "check-ignore", "-q", "--no-index", secretFile); err != nil {
			t.Errorf("trackSecret %v: %s is not ignored: %v", track, secretFile, err)
		}
	}
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--no-pager"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return string(out), err
}

// TestConfigRoundTrip loads the written config with the real loader.
func TestConfigRoundTrip(t *testing.T) {
	ws := &workspace{dir: t.TempDir()}
	spec := defaultConfig("http://127.0.0.1:1234")
	spec.service("worker").waitTimeout = 8 * time.Second
	path, err := ws.writeConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range cfg.Services {
		names = append(names, s.Name)
		if s.Cluster != "demo" || s.Health == nil || s.Health.BaseURL != "http://127.0.0.1:1234" || len(s.Health.Endpoints) == 0 {
			t.Errorf("service %+v", s)
		}
	}
	if !slices.Equal(names, []string{"web", "api", "worker"}) || cfg.Services[2].WaitTimeout != 8*time.Second {
		t.Fatalf("services %v, worker wait_timeout %s", names, cfg.Services[2].WaitTimeout)
	}
	web := cfg.Services[0].Health.Endpoints[1]
	if web.Path != "/api/tech/health" || !slices.Equal(web.ExpectStatus, []int{200}) || web.ExpectBody != "ok" {
		t.Fatalf("web's second endpoint = %+v", web)
	}
}

func TestFastClock(t *testing.T) {
	c := clockFor(100)
	start := c.Now()
	timer := c.NewTimer(2 * time.Second) // 20ms of real time
	select {
	case <-timer.C():
	case <-time.After(time.Second):
		t.Fatal("a 2s timer at speed 100 did not fire within 1s")
	}
	if elapsed := c.Now().Sub(start); elapsed < 2*time.Second {
		t.Fatalf("the clock moved %s while its 2s timer ran", elapsed)
	}
	if _, ok := clockFor(1).(clock.Real); !ok {
		t.Fatal("speed 1 is not the wall clock")
	}
}

// TestServiceDeploymentScenarios runs the service-deployment scenarios
// and checks what the document says of web's service deployment, and that
// the time-lapse keeps each to a few seconds of wall time.
func TestServiceDeploymentScenarios(t *testing.T) {
	tests := []struct {
		scenario             string
		exit                 int
		strategy, status     string
		stage                string
		alarms               []string
		rolledBackByECSNamed string // in the error
	}{
		{"blue-green", failure.ExitOK, "BLUE_GREEN", "SUCCESSFUL", "CLEAN_UP", nil, ""},
		{"canary-alarm-rollback", failure.ExitRollout, "CANARY", "ROLLBACK_SUCCESSFUL", "", []string{webAlarm}, "CloudWatch alarm " + webAlarm},
		{"paused-hook", failure.ExitOK, "BLUE_GREEN", "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res, err := Run(t.Context(), Options{Scenario: tt.scenario, Speed: testSpeed})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s of wall time at speed %d", took, testSpeed)
			}
			if got := failure.ExitCode(err); got != tt.exit {
				t.Fatalf("exit code %d, want %d (err: %v)", got, tt.exit, err)
			}
			sc, _ := Find(tt.scenario)
			if sc.Exit != tt.exit {
				t.Errorf("--list documents exit %d, the run ended %d", sc.Exit, tt.exit)
			}
			if tt.rolledBackByECSNamed != "" && (err == nil || !strings.Contains(err.Error(), "rolled back by ECS") || !strings.Contains(err.Error(), tt.rolledBackByECSNamed)) {
				t.Errorf("error %v, want it to say ECS rolled back and name %q", err, tt.rolledBackByECSNamed)
			}
			if len(res.Services) != 1 {
				t.Fatalf("services %+v", res.Services)
			}
			s := res.Services[0]
			if s.Name != "web" || s.Strategy != tt.strategy || s.Status != tt.status || s.ServiceDeploymentARN == "" ||
				(tt.stage != "" && s.LifecycleStage != tt.stage) || !slices.Equal(s.TriggeredAlarms, tt.alarms) {
				t.Errorf("web: strategy %q status %q stage %q alarms %v arn %q; want %s %s %s %v",
					s.Strategy, s.Status, s.LifecycleStage, s.TriggeredAlarms, s.ServiceDeploymentARN, tt.strategy, tt.status, tt.stage, tt.alarms)
			}
		})
	}
}

// TestPausedHookContinues does what the paused-hook scenario tells the
// reader to do next: `omdeploy continue` releases the hook, and the
// deployment goes on to SUCCESSFUL.
func TestPausedHookContinues(t *testing.T) {
	env, err := Prepare(t.Context(), Options{Scenario: "paused-hook", Speed: testSpeed})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	opts := env.Pipeline(Options{Speed: testSpeed})
	if _, err := pipeline.Deploy(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	if arn, hook := env.Account.WaitingHook(sim.DemoCluster, "web"); arn == "" || hook == "" {
		t.Fatal("the deploy returned with no hook waiting")
	}
	opts.Engine.WaitUntil = ""
	res, err := pipeline.Continue(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Services[0]; s.Status != "SUCCESSFUL" || s.RolloutState != "COMPLETED" {
		t.Errorf("after continue: status %q, rollout %q; want SUCCESSFUL", s.Status, s.RolloutState)
	}
}
