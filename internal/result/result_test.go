package result_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

func TestNew(t *testing.T) {
	rollout := failure.New(failure.StageRollout, "web", "rollout.circuit-breaker", errors.New("deployment FAILED"))
	tests := []struct {
		name      string
		err       error
		wantOK    bool
		wantCode  int
		wantStage failure.Stage
	}{
		{"success", nil, true, failure.ExitOK, failure.StageDone},
		{"config failure", failure.New(failure.StageConfig, "", "", errors.New("bad key")), false, failure.ExitUsage, failure.StageConfig},
		{"wrapped rollout failure", fmt.Errorf("deploy: %w", rollout), false, failure.ExitRollout, failure.StageRollout},
		{"worst of two", errors.Join(failure.New(failure.StageHealth, "api", "", errors.New("503")), rollout), false, failure.ExitHealth, failure.StageHealth},
		{"error without a stage", errors.New("boom"), false, failure.ExitInternal, failure.StageDone},
		{"interrupted", failure.New(failure.StageRollout, "web", "", context.Canceled), false, failure.ExitInterrupted, failure.StageRollout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := result.New("deploy", tt.err, 3*time.Second)
			if d.Schema != result.Schema || d.Command != "deploy" || d.Duration != 3*time.Second {
				t.Errorf("schema %q, command %q, duration %v", d.Schema, d.Command, d.Duration)
			}
			if d.OK != tt.wantOK || d.ExitCode != tt.wantCode || d.Stage != tt.wantStage {
				t.Errorf("ok %v, exit %d, stage %q; want %v, %d, %q", d.OK, d.ExitCode, d.Stage, tt.wantOK, tt.wantCode, tt.wantStage)
			}
			if tt.err != nil && d.Error != tt.err.Error() {
				t.Errorf("error %q, want %q", d.Error, tt.err.Error())
			}
		})
	}
}

func TestMarshalWritesEmptyListsNotNull(t *testing.T) {
	tests := []struct {
		name string
		doc  result.Document
		want []string
	}{
		{"zero document", result.Document{}, []string{`"checks":[]`, `"services":[]`}},
		{"service without health", result.Document{Services: []result.Service{{Name: "web"}}}, []string{`"checks":[]`, `"health":[]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s lacks %s", b, w)
				}
			}
			for _, s := range tt.doc.Services {
				if s.Health != nil {
					t.Error("marshalling changed the caller's services")
				}
			}
		})
	}
}

// TestSchemaRules validates hand-made variants of a document that has every
// field set, so each rule of the schema is seen to hold.
func TestSchemaRules(t *testing.T) {
	sch := testenv.ResultSchema(t)
	tests := []struct {
		name   string
		change func(doc map[string]any)
		valid  bool
	}{
		{"every field set", func(map[string]any) {}, true},
		{"optional fields left out", func(doc map[string]any) {
			for _, k := range []string{"error", "status", "runbook", "version", "init", "health", "demo"} {
				delete(doc, k)
			}
		}, true},
		{"container that never ran", func(doc map[string]any) { container(doc)["ExitCode"] = nil }, true},
		{"unknown top-level key", func(doc map[string]any) { doc["extra"] = []any{} }, false},
		{"unknown key in a service", func(doc map[string]any) { service(doc)["color"] = "blue" }, false},
		{"unknown key in a section", func(doc map[string]any) { doc["version"].(map[string]any)["arch"] = "arm64" }, false},
		{"unknown key in a diagnosis", func(doc map[string]any) { container(doc)["exit_code"] = 1 }, false},
		{"stage not a stage", func(doc map[string]any) { doc["stage"] = "deploying" }, false},
		{"service stage not a stage", func(doc map[string]any) { service(doc)["stage"] = "" }, false},
		{"check status not a status", func(doc map[string]any) { doc["checks"].([]any)[0].(map[string]any)["status"] = "ok" }, false},
		{"checks null", func(doc map[string]any) { doc["checks"] = nil }, false},
		{"health null", func(doc map[string]any) { service(doc)["health"] = nil }, false},
		{"exit code missing", func(doc map[string]any) { delete(doc, "exit_code") }, false},
		{"duration not an integer", func(doc map[string]any) { doc["duration_ns"] = "3s" }, false},
		{"another schema version", func(doc map[string]any) { doc["schema"] = "omdeploy.result/v0" }, false},
		{"time not a date-time", func(doc map[string]any) {
			doc["status"].([]any)[0].(map[string]any)["events"].([]any)[0].(map[string]any)["at"] = "yesterday"
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := fullDocument(t)
			tt.change(doc)
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			err = testenv.CheckDocument(sch, string(b))
			if tt.valid && err != nil {
				t.Errorf("rejected: %v\n%s", err, b)
			}
			if !tt.valid && err == nil {
				t.Errorf("accepted:\n%s", b)
			}
		})
	}
}

func service(doc map[string]any) map[string]any {
	return doc["services"].([]any)[0].(map[string]any)
}

func container(doc map[string]any) map[string]any {
	task := service(doc)["diagnosis"].(map[string]any)["Tasks"].([]any)[0].(map[string]any)
	return task["Containers"].([]any)[0].(map[string]any)
}

// fullDocument is a document with every field set, lists of one, as a
// generic JSON value.
func fullDocument(t *testing.T) map[string]any {
	t.Helper()
	var d result.Document
	fill(reflect.ValueOf(&d).Elem())
	d.Schema, d.Stage = result.Schema, failure.StageRollout
	d.Checks[0].Status = result.CheckWarn
	d.Services[0].Stage = failure.StageDone
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// fill sets every field reachable from v to a non-zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// TestREADMEExampleValidates keeps the README's example document true to
// the schema.
func TestREADMEExampleValidates(t *testing.T) {
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## JSON output")
	_, example, ok2 := strings.Cut(section, "```json\n")
	example, _, ok3 := strings.Cut(example, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no ```json example under ## JSON output")
	}
	if err := testenv.CheckDocument(testenv.ResultSchema(t), example); err != nil {
		t.Errorf("the README's example does not validate: %v\n%s", err, example)
	}
}
