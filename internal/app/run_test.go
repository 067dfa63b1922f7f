package app

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestRunCommand runs `omdeploy run` against the demo's simulated account:
// the task's lines are streamed with the service and task named, the exit
// code is the task's verdict, and the service is never updated.
func TestRunCommand(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		script      sim.TaskScript
		wantCode    int
		wantCommand []string // the container override RunTask got; nil: no RunTask
		wantOut     []string // in stderr
	}{
		{"exit 0", []string{"--command", "bin/migrate status"}, sim.TaskScript{Duration: 20 * time.Second, Logs: []string{"schema at 43"}},
			failure.ExitOK, []string{"bin/migrate", "status"}, []string{"[api] run task run started", "[api] run | schema at 43", "[api] run task run succeeded (exit 0"}},
		{"exit 3 after --", []string{"--", "bin/check", "--name", "two words"}, sim.TaskScript{ExitCode: 3, Logs: []string{"check failed"}},
			failure.ExitRelease, []string{"bin/check", "--name", "two words"}, []string{"[api] run | check failed", "container app exit code 3", "omdeploy runbook release.exit-nonzero"}},
		{"command twice", []string{"--command", "a", "--", "b"}, sim.TaskScript{}, failure.ExitUsage, nil, []string{"not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := demo.Prepare(t.Context(), demo.Options{Speed: 50})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			env.Account.ScriptTasks(tt.script)
			d := deps{aws: func(context.Context, awsx.Options) pipeline.AWS { return env.AWS() }, clock: env.Clock}
			args := append([]string{"omdeploy", "run", "--config", env.ConfigPath, "--service", "api", "--output", "json"}, tt.args...)
			var stdout, stderr bytes.Buffer
			code := runWith(t.Context(), Build{Version: "test"}, args, iostreams.Test(&stdout, &stderr), d)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tt.wantCode, stderr.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			var doc struct {
				Command  string `json:"command"`
				ExitCode int    `json:"exit_code"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.Command != "run" || doc.ExitCode != code {
				t.Errorf("document %+v (%v), want command run with exit %d:\n%s", doc, err, code, stdout.String())
			}
			calls := env.Account.Calls()
			if calls["UpdateService"] != 0 || calls["RegisterTaskDefinition"] != 0 {
				t.Errorf("the service was changed: %v", calls)
			}
			ins := env.Account.RunTaskInputs()
			if tt.wantCommand == nil {
				if len(ins) != 0 {
					t.Errorf("RunTask called %d times, want none", len(ins))
				}
				return
			}
			if len(ins) != 1 {
				t.Fatalf("RunTask called %d times, want 1", len(ins))
			}
			o := ins[0].Overrides.ContainerOverrides[0]
			if aws.ToString(o.Name) != "app" || !slices.Equal(o.Command, tt.wantCommand) || aws.ToString(ins[0].StartedBy) != "omdeploy/api/run" {
				t.Errorf("RunTask override %s %q started by %s", aws.ToString(o.Name), o.Command, aws.ToString(ins[0].StartedBy))
			}
		})
	}
}
