package report

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestFailuresOf(t *testing.T) {
	inner := failure.New(failure.StageHealth, "tech-gateway", "health.unavailable", errors.New("503 after 9 attempts"))
	tests := []struct {
		name string
		err  error
		want []event.Failure
	}{
		{"nil", nil, nil},
		{"one", inner, []event.Failure{{Service: "tech-gateway", Stage: failure.StageHealth, Message: "503 after 9 attempts", RunbookID: "health.unavailable"}}},
		{"wrapped twice counts once", failure.New(failure.StageHealth, "tech-gateway", "", fmt.Errorf("verify: %w", inner)),
			[]event.Failure{{Service: "tech-gateway", Stage: failure.StageHealth, Message: "503 after 9 attempts", RunbookID: "health.unavailable"}}},
		{"joined", errors.Join(inner, failure.New(failure.StageRollout, "worker", "", errors.New("timed out"))), []event.Failure{
			{Service: "tech-gateway", Stage: failure.StageHealth, Message: "503 after 9 attempts", RunbookID: "health.unavailable"},
			{Service: "worker", Stage: failure.StageRollout, Message: "timed out"},
		}},
		{"interrupted", failure.New(failure.StageRollout, "worker", "", context.Canceled),
			[]event.Failure{{Service: "worker", Stage: failure.StageRollout, Message: "context canceled", RunbookID: runbook.Interrupted}}},
		{"not a failure", errors.New("boom"), []event.Failure{{Message: "boom"}}},
		{"specific fix kept", &failure.Error{Stage: failure.StagePreflight, RunbookID: "secrets.tracked", Fix: "git rm -r --cached -- .secrets/db.env", Err: errors.New("checks failed")},
			[]event.Failure{{Stage: failure.StagePreflight, Message: "checks failed", RunbookID: "secrets.tracked", Fix: "git rm -r --cached -- .secrets/db.env"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failuresOf(tt.err)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("failuresOf = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRunFailuresOfDocumentWithoutError(t *testing.T) {
	doc := result.Document{Command: "status", Stage: failure.StagePreflight, Error: "preflight: expired token"}
	got := runFailures(doc, nil)
	if len(got) != 1 || got[0].Stage != failure.StagePreflight || got[0].Message != doc.Error {
		t.Errorf("runFailures = %+v", got)
	}
	if got := runFailures(result.Document{OK: true}, nil); got != nil {
		t.Errorf("runFailures of a success = %+v", got)
	}
}

func TestGroupTasks(t *testing.T) {
	one, two := int32(1), int32(137)
	crash := func(id string, code *int32) event.StoppedTask {
		return event.StoppedTask{TaskID: id, StoppedReason: "Essential container in task exited", Containers: []event.StoppedContainer{{Name: "app", ExitCode: code, LogLines: []string{"boom"}}}}
	}
	tests := []struct {
		name  string
		tasks []event.StoppedTask
		want  [][]string
	}{
		{"none", nil, nil},
		{"identical fold", []event.StoppedTask{crash("a", &one), crash("b", &one), crash("c", &one)}, [][]string{{"a", "b", "c"}}},
		{"exit code differs", []event.StoppedTask{crash("a", &one), crash("b", &two), crash("c", &one)}, [][]string{{"a", "c"}, {"b"}}},
		{"no exit code is its own group", []event.StoppedTask{crash("a", nil), crash("b", &one)}, [][]string{{"a"}, {"b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			for _, g := range groupTasks(tt.tasks) {
				var ids []string
				for _, task := range g {
					ids = append(ids, task.TaskID)
				}
				got = append(got, ids)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("groups = %v, want %v", got, tt.want)
			}
		})
	}
}
