package app

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// githubEnv are the variables that turn on the GitHub Actions views.
var githubEnv = []string{"GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"}

func TestMain(m *testing.M) {
	// In-process runs read the GitHub Actions variables from the process;
	// inside a CI job they would append this package's test runs to the
	// job's own step summary and outputs.
	for _, k := range githubEnv {
		os.Unsetenv(k)
	}
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// binary is omdeploy built once for the tests that run the executable.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func omdeployBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH; cannot build omdeploy")
	}
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "omdeploy-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "omdeploy")
		args := []string{"build", "-o", binary.path}
		if raceBuild {
			args = append(args, "-race")
		}
		out, err := exec.Command(gobin, append(args, "github.com/omdeploy/omdeploy/cmd/omdeploy")...).CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// runBinary runs the built omdeploy with the GitHub Actions variables of
// the test's choosing (and none inherited) and returns its exit code,
// stdout and stderr.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), omdeployBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "OMDEPLOY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatalf("run %s: %v", strings.Join(args, " "), err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestBinaryDemoGitHubActions runs the built binary as a GitHub Actions
// step would: annotations and groups on stderr, the step summary and the
// step outputs in the files the runner names.
func TestBinaryDemoGitHubActions(t *testing.T) {
	t.Parallel()
	crash, _ := runbook.Lookup(runbook.RolloutCrashLoop)
	crashFix, _, _ := strings.Cut(crash.Fix, "\n")
	tests := []struct {
		name        string
		args        []string
		exit        int
		outputs     map[string]string // exact values
		outputsLike []string          // names whose value must be set
		summary     []string
		stderr      []string
	}{
		{
			name: "healthy", args: []string{"demo"}, exit: failure.ExitOK,
			outputs: map[string]string{"result": "success", "exit-code": "0", "stage": "done"},
			outputsLike: []string{
				"web-task-definition-arn", "web-deployment-id", "api-task-definition-arn", "api-deployment-id",
				"worker-task-definition-arn", "worker-deployment-id", "services",
			},
			summary: []string{"### ✅ omdeploy demo succeeded", "| Service | Result | Task definition | Deployment | Rollout | Health |", "| web | ✅ done |", "| worker | ✅ done |", "/healthz"},
			stderr:  []string{"::group::", "::endgroup::", "no AWS calls"},
		},
		{
			name: "crash loop", args: []string{"demo", "--scenario", "crash-loop"}, exit: failure.ExitRollout,
			outputs:     map[string]string{"result": "failure", "exit-code": "4", "stage": "rollout"},
			outputsLike: []string{"task-definition-arn", "deployment-id", "services"},
			summary:     []string{"### ❌ omdeploy demo failed at stage rollout (exit code 4)", "| api | ❌ rollout, rolled back |", crashFix},
			stderr:      []string{"::group::", "::error title=", "rollout.crash-loop"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			summaryPath, outputPath := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
			env := []string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summaryPath, "GITHUB_OUTPUT=" + outputPath, "OMDEPLOY_DEMO_SPEED=" + testSpeed}
			code, _, stderr := runBinary(t, env, tt.args...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tt.exit, stderr)
			}
			outputs := readOutputs(t, outputPath)
			for k, v := range tt.outputs {
				if outputs[k] != v {
					t.Errorf("output %s = %q, want %q", k, outputs[k], v)
				}
			}
			for _, k := range tt.outputsLike {
				if outputs[k] == "" {
					t.Errorf("output %s is not set; outputs: %v", k, outputs)
				}
			}
			summary, err := os.ReadFile(summaryPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.summary {
				if !strings.Contains(string(summary), s) {
					t.Errorf("step summary lacks %q:\n%s", s, summary)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

// readOutputs parses $GITHUB_OUTPUT: name=value lines and name<<DELIM
// blocks.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		if name, value, ok := strings.Cut(lines[i], "="); ok {
			out[name] = value
		}
	}
	return out
}
