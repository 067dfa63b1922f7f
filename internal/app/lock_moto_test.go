package app

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// A deploy that finds the lock held exits 3 naming the holder and the fix;
// `omdeploy unlock` removes the lease, and the deploy then goes through.
func TestLockedDeployAndUnlock(t *testing.T) {
	c := testenv.Moto(t)
	ep := testenv.MotoEndpoint(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	cfg := motoConfig(t, f, "lock: true\n")
	name := lock.Name(f.Cluster, f.Service)
	holder := actor.Actor{Who: "octocat", RunID: "99", RunURL: "https://github.com/acme/app/actions/runs/99"}
	if _, _, err := lock.Acquire(testenv.Ctx(t), c.SSM, name, holder, time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	where := []string{"--config", cfg, "--endpoint-url", ep, "--region", "us-east-1"}
	deployArgs := append(append([]string{"deploy"}, where...), "--skip-preflight", "--force-new-deployment", "--no-color")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{name: "held", args: deployArgs, wantCode: 3, want: []string{"held by octocat (https://github.com/acme/app/actions/runs/99) since", "omdeploy unlock --service web"}},
		{name: "unlock needs --service", args: append([]string{"unlock"}, where...), wantCode: 2, want: []string{"--service NAME"}},
		{name: "unlock", args: append(append([]string{"unlock"}, where...), "--service", "web"), want: []string{"web: removed the deploy lock of octocat"}},
		{name: "unlock again", args: append(append([]string{"unlock"}, where...), "--service", "web"), want: []string{"web: no deploy lock (" + name + ")"}},
		{name: "deploy after unlock", args: deployArgs},
	}
	for _, tt := range tests { // in order: each step needs the one before
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, stdout, stderr)
				}
			}
		})
	}
	if _, err := c.SSM.GetParameter(testenv.Ctx(t), &ssm.GetParameterInput{Name: aws.String(name)}); err == nil {
		t.Fatal("a lease is left after the last deploy")
	}
}
