package report

import (
	"bytes"
	"flag"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// syncBuffer is a bytes.Buffer safe for the live view's redraw goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testStart is the fixed start of every scenario.
var testStart = time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)

// testRunbook is a fixed catalogue, so golden files test the rendering and
// do not change when the real runbook is reworded.
var testRunbook = map[string]runbook.Entry{
	"rollout.circuit-breaker": {
		ID: "rollout.circuit-breaker", Title: "Deployment circuit breaker tripped",
		Symptom:   "The deployment goes FAILED after tasks keep stopping.",
		Diagnosis: "New tasks stopped before becoming healthy, so ECS gave up on the deployment.",
		Fix:       "1. Read the stopped tasks' reasons and logs shown above.\n2. Fix the image or its configuration, then deploy again.",
	},
	"rollout.app-exit": {
		ID: "rollout.app-exit", Title: "Essential container exited",
		Symptom:   "A task stops with \"Essential container in task exited\".",
		Diagnosis: "The application crashed at start-up: a missing variable, a bad secret, a failing migration.",
		Fix:       "Read the container's last log lines; run the image locally with the same environment.",
	},
	"iam.simulation-unavailable": {
		ID: "iam.simulation-unavailable", Title: "IAM actions could not be simulated",
		Symptom:   "The IAM check is a warning, not a pass.",
		Diagnosis: "The caller may not call iam:SimulatePrincipalPolicy.",
		Fix:       "Allow iam:SimulatePrincipalPolicy for the deploy role, or ignore the warning.",
	},
	"ssm.parameter-missing": {
		ID: "ssm.parameter-missing", Title: "SSM parameter does not exist",
		Symptom:   "The ssm.parameters check fails: parameter not found.",
		Diagnosis: "The parameter was never created in this account and region, or its name has a typo.",
		Fix:       "Create it: `aws ssm put-parameter --name {name} --type SecureString --value ...`.",
	},
	"config.invalid": {
		ID: "config.invalid", Title: "The config file is invalid",
		Symptom:   "omdeploy exits 2 and names FILE:LINE:COL.",
		Diagnosis: "An unknown key, a wrong type or a missing field.",
		Fix:       "Edit the config at the position shown.",
	},
}

func lookupTestRunbook(id string) (runbook.Entry, bool) {
	e, ok := testRunbook[id]
	return e, ok
}

// toTestStart moves a synctest bubble's clock, which starts in 2000, to
// testStart, so that golden files show the times they always have.
func toTestStart() { time.Sleep(time.Until(testStart)) }

// play reports events one second apart; in a synctest bubble the seconds
// pass at once.
func play(r *Renderer, events []event.Event) {
	for _, e := range events {
		time.Sleep(time.Second)
		r.Report(e)
	}
}
