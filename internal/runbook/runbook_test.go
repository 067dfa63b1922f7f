package runbook

import (
	"strings"
	"testing"
)

func TestEveryEntryIsComplete(t *testing.T) {
	for _, e := range All() {
		t.Run(e.ID, func(t *testing.T) {
			if e.Title == "" || e.Symptom == "" || e.Diagnosis == "" || e.Fix == "" {
				t.Fatalf("entry %q has an empty field: %+v", e.ID, e)
			}
			if !strings.Contains(e.ID, ".") {
				t.Fatalf("entry ID %q is not <area>.<failure>", e.ID)
			}
		})
	}
}

func TestFixWith(t *testing.T) {
	e := Entry{Fix: "run `git rm --cached {file}` then {other}"}
	got := e.FixWith(map[string]string{"file": ".secrets/db"})
	if want := "run `git rm --cached .secrets/db` then {other}"; got != want {
		t.Fatalf("FixWith = %q, want %q", got, want)
	}
	if Fix("no.such-entry", nil) != "" {
		t.Fatal("Fix of unknown id is not empty")
	}
}
