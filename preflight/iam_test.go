package preflight

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestIAMPermissions(t *testing.T) {
	t.Parallel()
	const serviceARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"
	tests := []struct {
		name        string
		breakIt     func(*world)
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
		wantSource  string // the PolicySourceArn simulated
	}{
		{
			name:       "allowed",
			breakIt:    func(*world) {},
			wantStatus: event.StatusPass, wantInMsg: []string{"allowed all 9 actions", "path from iam:GetRole"},
			wantSource: testRoleARN,
		},
		{
			name: "denied actions listed with resources",
			breakIt: func(w *world) {
				w.denied["ecs:UpdateService "+serviceARN] = true
				w.denied["iam:PassRole arn:aws:iam::123456789012:role/app-task"] = true
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.IAMPermissionDenied,
			wantInMsg: []string{
				"ecs:UpdateService on " + serviceARN + " (implicitDeny)",
				"iam:PassRole on arn:aws:iam::123456789012:role/app-task",
			},
			wantSource: testRoleARN,
		},
		{
			name:       "simulation denied is a skip",
			breakIt:    func(w *world) { w.simErr = apiErr("AccessDenied") },
			wantStatus: event.StatusSkip, wantInMsg: []string{"iam:SimulatePrincipalPolicy is not allowed", "not verified"},
			wantSource: testRoleARN,
		},
		{
			name:       "simulation unavailable is a skip",
			breakIt:    func(w *world) { w.simErr = apiErr("InternalFailure") },
			wantStatus: event.StatusSkip, wantInMsg: []string{"simulation is unavailable", "not verified"},
			wantSource: testRoleARN,
		},
		{
			name:       "GetRole denied: role ARN without its path",
			breakIt:    func(w *world) { w.getRoleErr = apiErr("AccessDenied") },
			wantStatus: event.StatusPass, wantInMsg: []string{"iam:GetRole failed (AccessDenied), so simulated without a path"},
			wantSource: "arn:aws:iam::123456789012:role/deployer",
		},
		{
			name:       "IAM user simulated as itself",
			breakIt:    func(w *world) { w.callerARN = "arn:aws:iam::123456789012:user/ci/deploy-bot" },
			wantStatus: event.StatusPass, wantInMsg: []string{"user/ci/deploy-bot is allowed"},
			wantSource: "arn:aws:iam::123456789012:user/ci/deploy-bot",
		},
		{
			name:       "root is not simulated",
			breakIt:    func(w *world) { w.callerARN = "arn:aws:iam::123456789012:root" },
			wantStatus: event.StatusSkip, wantInMsg: []string{"root user"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			tt.breakIt(w)
			checks, _ := runWorld(t, w, nil)
			c := find(t, checks, IDIAMPermissions, testService)
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			if tt.wantRunbook != "" && !strings.Contains(c.Fix, "--policy-source-arn "+tt.wantSource) {
				t.Errorf("fix %q does not name the principal", c.Fix)
			}
			for _, in := range w.simInputs {
				if got := aws.ToString(in.PolicySourceArn); got != tt.wantSource {
					t.Fatalf("simulated %s, want %s", got, tt.wantSource)
				}
			}
		})
	}
}

// The simulation asks about the deploy's real resources, each action only
// on the resources it touches.
func TestIAMSimulatesRealResources(t *testing.T) {
	t.Parallel()
	w := newWorld()
	checks, _ := runWorld(t, w, func(o *Options) { o.Config.IAMActions = []string{"s3:GetObject"} })
	if c := find(t, checks, IDIAMPermissions, ""); c.Status != event.StatusPass {
		t.Fatalf("run-wide iam.permissions = %+v", c)
	}
	got := map[string][]string{}
	for _, in := range w.simInputs {
		for _, a := range in.ActionNames {
			got[a] = append(got[a], in.ResourceArns...)
		}
	}
	want := map[string][]string{
		"ecs:DescribeServices":       {"arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"},
		"ecs:UpdateService":          {"arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"},
		"ecs:DescribeTaskDefinition": {"*"},
		"ecs:RegisterTaskDefinition": {"*"},
		"ecs:ListTasks":              {"arn:aws:ecs:us-east-1:123456789012:container-instance/prod/*"},
		"ecs:DescribeTasks":          {"arn:aws:ecs:us-east-1:123456789012:task/prod/*"},
		"iam:PassRole":               {"arn:aws:iam::123456789012:role/app-task", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},
		"ssm:GetParameters":          {"arn:aws:ssm:us-east-1:123456789012:parameter/tech/db-url"},
		"logs:GetLogEvents":          {"arn:aws:logs:us-east-1:123456789012:log-group:/ecs/tech:log-stream:*"},
		"s3:GetObject":               {"*"},
	}
	for action, resources := range want {
		if !slices.Equal(got[action], resources) {
			t.Errorf("%s simulated on %v, want %v", action, got[action], resources)
		}
	}
	if len(got) != len(want) {
		t.Errorf("simulated actions %v, want %d", got, len(want))
	}
}
