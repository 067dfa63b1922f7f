package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/internal/faultproxy"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestDeployThroughFaultsAgainstMoto runs `omdeploy deploy` in-process with
// the real SDK clients sent through a fault proxy in front of moto, and
// checks the exit code, the message, and — read from moto directly after
// the run — which revision the service runs and how many the family has
// (issue 11: never hang, never guess). moto completes a one-task rollout
// at once, so these are the wire cases; the timing cases (a rollout that
// completes at 3 s under a throttling storm) are simulator tests in deploy.
func TestDeployThroughFaultsAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	tests := []struct {
		name      string
		op        string
		rule      faultproxy.Rule
		interrupt bool // cancel the run when the faulted call arrives
		args      []string

		wantExit      int
		wantInError   []string
		wantRev       int32 // the revision the service runs after the run
		wantRevisions int   // ACTIVE revisions in the family after the run
		wantCalls     int   // calls of op that reached the proxy
		wantDeployID  bool  // the result names the deployment
	}{
		{
			name: "DescribeServices hangs during the wait", op: "DescribeServices",
			rule: faultproxy.Rule{Fault: faultproxy.Hang, Skip: 1}, args: []string{"--aws-read-timeout", "300ms"},
			wantExit: 6, wantInError: []string{"outcome unknown", "did not roll back", "no read of the service succeeded"},
			wantRev: 2, wantRevisions: 2, wantCalls: -1, wantDeployID: true,
		},
		{
			name: "UpdateService hangs and never reaches ECS", op: "UpdateService",
			rule: faultproxy.Rule{Fault: faultproxy.Hang}, args: []string{"--aws-write-timeout", "500ms"},
			wantExit: 4, wantInError: []string{"got no answer within 500ms", "read back: not applied"},
			wantRev: 1, wantRevisions: 2, wantCalls: 1,
		},
		{
			name: "UpdateService applied, then its connection dropped", op: "UpdateService",
			rule:     faultproxy.Rule{Fault: faultproxy.Drop, Times: 1},
			wantExit: 0, wantRev: 2, wantRevisions: 2, wantCalls: 1, wantDeployID: true,
		},
		{
			name: "interrupted while UpdateService is in flight, which ECS applied", op: "UpdateService",
			rule: faultproxy.Rule{Fault: faultproxy.Hang, Forward: true}, interrupt: true,
			wantExit: 130, wantInError: []string{"interrupted while UpdateService was in flight, but it was applied: deployment"},
			wantRev: 2, wantRevisions: 2, wantCalls: 1, wantDeployID: true,
		},
		{
			name: "RegisterTaskDefinition applied, then its connection dropped", op: "RegisterTaskDefinition",
			rule:     faultproxy.Rule{Fault: faultproxy.Drop, Times: 1},
			wantExit: 0, wantRev: 2, wantRevisions: 2, wantCalls: 1, wantDeployID: true,
		},
		{
			name: "the token expires during the wait", op: "DescribeServices",
			rule:     faultproxy.Rule{Fault: faultproxy.ExpireToken, Skip: 1},
			wantExit: 6, wantInError: []string{"outcome unknown", "ExpiredTokenException", "did not roll back"},
			wantRev: 2, wantRevisions: 2, wantCalls: -1, wantDeployID: true,
		},
		{
			name: "polls throttled past the deadline and its grace", op: "DescribeServices",
			rule:     faultproxy.Rule{Fault: faultproxy.Throttle, Skip: 1},
			wantExit: 6, wantInError: []string{"outcome unknown", "ThrottlingException", "did not roll back"},
			wantRev: 2, wantRevisions: 2, wantCalls: -1, wantDeployID: true,
		},
	}
	for _, tt := range tests {
		// Not parallel: urfave/cli sets package-level flags while it runs.
		t.Run(tt.name, func(t *testing.T) {
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			p, err := faultproxy.New(testenv.MotoEndpoint(t))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Set(tt.op, tt.rule)
			cfg := writeConfig(t, "region: us-east-1\nservices:\n  - name: web\n    cluster: "+f.Cluster+"\n    service: "+f.Service+
				"\n    container: app\n    wait_timeout: 3s\n")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.interrupt {
				go func() {
					select {
					case <-p.Arrived(tt.op):
						cancel()
					case <-ctx.Done():
					}
				}()
			}
			args := append([]string{"omdeploy", "deploy", "--config", cfg, "--endpoint-url", p.URL(), "--region", "us-east-1",
				"--output", "json", "--skip-preflight", "--image", "repo/app:v2", "--poll-interval", "200ms"}, tt.args...)
			var stdout, stderr bytes.Buffer
			began := time.Now()
			code := runWith(ctx, Build{Version: "test"}, args, iostreams.Test(&stdout, &stderr), deps{})
			if took := time.Since(began); took > 2*time.Minute {
				t.Errorf("the run took %s: something waited without a deadline", took)
			}
			var d doc
			if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			if code != tt.wantExit || d.ExitCode != tt.wantExit {
				t.Fatalf("exit %d (document %d), want %d; error %q\nstderr:\n%s", code, d.ExitCode, tt.wantExit, d.Error, stderr.String())
			}
			for _, w := range tt.wantInError {
				if !strings.Contains(d.Error, w) {
					t.Errorf("error %q does not say %q", d.Error, w)
				}
			}
			if tt.wantDeployID && (len(d.Services) != 1 || d.Services[0].DeploymentID == "") {
				t.Errorf("services = %+v, want the deployment named", d.Services)
			}
			// The service's state, read from moto past the proxy.
			svc := describe(t, c, f)
			if got := aws.ToString(svc.TaskDefinition); !strings.HasSuffix(got, ":"+itoa(tt.wantRev)) {
				t.Errorf("service runs %s, want revision %d", got, tt.wantRev)
			}
			list, err := c.ECS.ListTaskDefinitions(testenv.Ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(f.Family)})
			if err != nil || len(list.TaskDefinitionArns) != tt.wantRevisions {
				t.Errorf("family revisions = %v (%v), want %d", list.TaskDefinitionArns, err, tt.wantRevisions)
			}
			if tt.wantCalls >= 0 && p.Calls(tt.op) != tt.wantCalls {
				t.Errorf("%s reached the proxy %d times, want %d (a write is never re-sent blindly)", tt.op, p.Calls(tt.op), tt.wantCalls)
			}
			if got := p.Calls("UpdateService"); tt.wantExit == 6 && got != 1 {
				t.Errorf("UpdateService called %d times, want 1: no rollback on a state omdeploy never saw", got)
			}
		})
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
