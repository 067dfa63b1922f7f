package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

// TestRefusedConfigExits2 runs configs the parser once accepted, or refused
// without a position, through the CLI: each is exit 2 with FILE:LINE:COL.
func TestRefusedConfigExits2(t *testing.T) {
	tests := []struct {
		name string
		body string
		pos  string
		msg  string
	}{
		{"bad indent on line 3", "services:\n  - cluster: c\n   service: s\n", ":3:4:", "invalid YAML"},
		{"second document", "services: [{cluster: c, service: s}]\n---\nregion: us-east-1\n", ":2:1:", "a second YAML document"},
		{"env tag", "region: !env AWS_REGION\nservices: [{cluster: c, service: s}]\n", ":1:9:", "tag !env is not supported"},
		{"region with a command", "region: us east 1; rm -rf /\nservices: [{cluster: c, service: s}]\n", ":1:9:", "is not an AWS region"},
		{"right-to-left override", "services:\n  - cluster: c\n    service: \"s\\u202E\"\n", ":3:14:", "U+202E"},
		{"same ECS service twice", "services:\n  - {name: a, cluster: c, service: s}\n  - {name: b, cluster: c, service: s}\n", ":3:5:", `as "a" on line 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, tt.body)
			code, stdout, stderr := run(t, "preflight", "--config", cfg)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stdout+stderr, cfg+tt.pos) || !strings.Contains(stdout+stderr, tt.msg) {
				t.Fatalf("output does not name %s%s and %q:\nstdout:\n%s\nstderr:\n%s", cfg, tt.pos, tt.msg, stdout, stderr)
			}
		})
	}
}

// TestConfigErrorHidesEnvironmentValue checks the whole way to the
// terminal and the JSON document: the variable is named, its value not.
func TestConfigErrorHidesEnvironmentValue(t *testing.T) {
	const secret = "postgres://admin:hunter2@db.internal/prod"
	t.Setenv("OMDEPLOY_TEST_DB_URL", secret)
	cfg := writeConfig(t, "services:\n  - cluster: ${OMDEPLOY_TEST_DB_URL}\n    service: s\n")
	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			code, stdout, stderr := run(t, "preflight", "--config", cfg, "--output", output)
			if code != 2 || !strings.Contains(stdout+stderr, "${OMDEPLOY_TEST_DB_URL}") {
				t.Fatalf("exit %d, want 2 naming the variable:\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, "hunter2") {
				t.Fatalf("the output shows the variable's value:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

// TestServiceNamedTwiceDeploysOnce: --service web --service web is one
// deployment, not two racing each other.
func TestServiceNamedTwiceDeploysOnce(t *testing.T) {
	t.Parallel()
	env, err := demo.Prepare(t.Context(), demo.Options{Scenario: "healthy", Speed: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var rec event.Recorder
	d := deps{
		aws:     func(context.Context, awsx.Options) pipeline.AWS { return env.AWS() },
		clock:   env.Clock,
		observe: event.Tee{&rec, env.Observer()},
	}
	name := env.Services[0].Name
	args := []string{"omdeploy", "deploy", "--config", env.ConfigPath, "--tag", env.Scenario.Tag, "--service", name, "--service", name}
	var stdout, stderr bytes.Buffer
	if code := runWith(t.Context(), Build{Version: "test"}, args, iostreams.Test(&stdout, &stderr), d); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	// Both counts: a second pass over the same service does not always
	// start a deployment of its own (it may find the first in flight),
	// but it always finishes.
	events := rec.Events()
	started, finished := event.Of[event.DeploymentStarted](events), event.Of[event.ServiceFinished](events)
	if len(started) != 1 || len(finished) != 1 || finished[0].Service != name {
		t.Fatalf("deployments started: %+v, services finished: %+v; want one of each, for %s", started, finished, name)
	}
}
