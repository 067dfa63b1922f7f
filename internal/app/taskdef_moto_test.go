package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestExportThenPlanAgainstMoto: init --export writes the live task
// definition so that plan right after finds no change (exit 0 with
// --detailed-exitcode); an edit of the file is the one change plan shows
// (exit 8), render prints it, and deploy registers it.
func TestExportThenPlanAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	endpoint := testenv.MotoEndpoint(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omdeploy.yaml")
	code, out, stderr := run(t, "init", "--export", "--config", cfg, "--endpoint-url", endpoint, "--region", testenv.MotoRegion,
		"--cluster", f.Cluster, "--service", f.Service)
	file := filepath.Join(dir, f.Service+".taskdef.json")
	if code != 0 || !strings.Contains(out, "wrote "+file) {
		t.Fatalf("init --export: exit %d\n%s%s", code, out, stderr)
	}
	body := fmt.Sprintf("region: us-east-1\nservices:\n  - name: web\n    cluster: %s\n    service: %s\n    container: app\n    task_definition: %s\n", f.Cluster, f.Service, filepath.Base(file))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := func(t *testing.T, args ...string) (int, result.Document) {
		t.Helper()
		full := append([]string{"plan", "--detailed-exitcode", "--config", cfg, "--endpoint-url", endpoint, "--region", testenv.MotoRegion, "-o", "json"}, args...)
		code, stdout, stderr := run(t, full...)
		var d result.Document
		if err := json.Unmarshal([]byte(stdout), &d); err != nil || len(d.Services) != 1 || d.Services[0].Plan == nil {
			t.Fatalf("plan: exit %d, no plan (%v)\nstdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
		}
		return code, d
	}

	if code, d := plan(t); code != 0 || len(d.Services[0].Plan.Changes) != 0 || !d.Services[0].Plan.Reused {
		t.Fatalf("right after the export: exit %d, plan %+v; want no change", code, d.Services[0].Plan)
	}

	var td map[string]any
	data, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(data, &td) != nil {
		t.Fatalf("read the export: %v", err)
	}
	containers := td["containerDefinitions"].([]any)
	app := containers[0].(map[string]any)
	env, _ := app["environment"].([]any)
	app["environment"] = append(env, map[string]any{"name": "LOG_LEVEL", "value": "${LEVEL}"})
	data, _ = json.Marshal(td)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEVEL", "debug")
	code, d := plan(t)
	want := []result.Change{{Path: "containerDefinitions[app].environment[+LOG_LEVEL]", New: "debug"}}
	if got := d.Services[0].Plan.Changes; code != failure.ExitChanges || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after an edit: exit %d, changes %+v; want 8, %+v", code, got, want)
	}

	code, out, stderr = run(t, "render", "--config", cfg, "--service", "web", "--tag", "v9")
	if code != 0 || !strings.Contains(out, `"value": "debug"`) || !strings.Contains(out, `"image": "repo/app:v9"`) {
		t.Fatalf("render: exit %d\n%s%s", code, out, stderr)
	}

	code, dd, stderr := runMoto(t, cfg, "deploy", "--skip-preflight")
	if code != 0 || !dd.OK {
		t.Fatalf("deploy from the file: exit %d %+v\n%s", code, dd, stderr)
	}
	if code, d := plan(t); code != 0 || len(d.Services[0].Plan.Changes) != 0 {
		t.Fatalf("after the deploy: exit %d, changes %+v; want none", code, d.Services[0].Plan.Changes)
	}
}

// TestTaskDefinitionFileErrors: a task definition file with an unknown
// field stops plan, deploy and render with exit 2 at FILE:LINE:COL.
func TestTaskDefinitionFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.json"), []byte("{\n  \"family\": \"web\",\n  \"containerDefinitions\": [{\"name\": \"app\", \"imgae\": \"x\"}]\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "omdeploy.yaml")
	if err := os.WriteFile(cfg, []byte("region: us-east-1\nservices:\n  - name: web\n    cluster: c\n    service: s\n    task_definition: web.json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"plan"}, {"deploy", "--tag", "v2"}, {"render", "--service", "web"}} {
		t.Run(args[0], func(t *testing.T) {
			code, stdout, stderr := run(t, append(args, "--config", cfg)...)
			want := filepath.Join(dir, "web.json") + `:3:44: unknown field "imgae" in containerDefinitions[0]`
			if code != failure.ExitUsage || !strings.Contains(stderr+stdout, want) {
				t.Fatalf("exit %d, want 2 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
			}
		})
	}
}
