package preflight

import (
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestMoto runs the whole checklist with the real SDK clients against moto.
// moto has no IAM policy simulation, which must show as a skip, never as a
// pass or a failure.
func TestMoto(t *testing.T) {
	t.Parallel()
	c := testenv.Moto(t)

	type expect struct {
		id, service, status, runbookID string
		inMsg                          []string
	}
	tests := []struct {
		name     string
		fixture  testenv.FixtureOptions
		setup    func(t *testing.T, p string, f *testenv.Fixture, o *Options) // p prefixes parameter names; may rename resources
		wantExit int
		want     []expect
	}{
		{
			name:    "healthy service",
			fixture: testenv.FixtureOptions{Secrets: []string{"/db-url"}},
			setup: func(t *testing.T, p string, f *testenv.Fixture, o *Options) {
				testenv.PutParameter(t, c, testenv.MotoRegion, p+"/db-url")
			},
			wantExit: failure.ExitOK,
			want: []expect{
				{IDCredentials, "", event.StatusPass, "", nil},
				{IDIdentity, "", event.StatusPass, "", []string{"account 123456789012 (matches account_id)"}},
				{IDRegion, "", event.StatusPass, "", []string{"us-east-1 (from flag --region)"}},
				{IDSecretsIgnored, "", event.StatusPass, "", nil},
				{IDIAMPermissions, testService, event.StatusSkip, "", []string{"not verified"}},
				{IDSSMParameters, testService, event.StatusPass, "", []string{"all 1 SSM parameter(s)"}},
				{IDECSCluster, testService, event.StatusPass, "", []string{"ACTIVE"}},
				{IDECSService, testService, event.StatusPass, "", []string{"1/1 tasks running"}},
				{IDLogsGroup, testService, event.StatusPass, "", []string{"app → /ecs/"}},
				{IDHealthContract, testService, event.StatusPass, "", nil},
			},
		},
		{
			name:     "missing parameter, and one only in another region",
			fixture:  testenv.FixtureOptions{Secrets: []string{"/here", "/nowhere", "/eu-only"}},
			wantExit: failure.ExitPreflight,
			setup: func(t *testing.T, p string, f *testenv.Fixture, o *Options) {
				testenv.PutParameter(t, c, testenv.MotoRegion, p+"/here")
				testenv.PutParameter(t, c, "eu-west-1", p+"/eu-only")
			},
			want: []expect{{IDSSMParameters, testService, event.StatusFail, runbook.SSMParameterMissing,
				[]string{"missing in us-east-1: ", "/nowhere", "/eu-only", "1 of 3"}}},
		},
		{
			name:     "config parameter only in another region",
			wantExit: failure.ExitPreflight,
			setup: func(t *testing.T, p string, f *testenv.Fixture, o *Options) {
				name := p + "/cfg"
				testenv.PutParameter(t, c, "eu-west-1", name)
				o.Config.SSMParameters = []string{name}
			},
			want: []expect{{IDSSMParameters, "", event.StatusFail, runbook.SSMParameterMissing, []string{"missing in us-east-1: /moto-", "/cfg"}}},
		},
		{
			name:     "cluster missing",
			wantExit: failure.ExitPreflight,
			setup:    func(t *testing.T, p string, f *testenv.Fixture, o *Options) { f.Cluster = testenv.Unique("nocluster") },
			want: []expect{
				{IDECSCluster, testService, event.StatusFail, runbook.ECSClusterMissing, []string{"cluster nocluster-", "not found in us-east-1"}},
				{IDECSService, testService, event.StatusSkip, "", []string{"see ecs.cluster"}},
			},
		},
		{
			name:     "service missing",
			wantExit: failure.ExitPreflight,
			setup:    func(t *testing.T, p string, f *testenv.Fixture, o *Options) { f.Service = testenv.Unique("nosvc") },
			want: []expect{
				{IDECSCluster, testService, event.StatusPass, "", nil},
				{IDECSService, testService, event.StatusFail, runbook.ECSServiceMissing, []string{"service nosvc-", "in us-east-1"}},
				{IDLogsGroup, testService, event.StatusSkip, "", []string{"service was not found"}},
			},
		},
		{
			name:     "deployment in progress",
			fixture:  testenv.FixtureOptions{DesiredCount: 2},
			wantExit: failure.ExitPreflight,
			want:     []expect{{IDECSService, testService, event.StatusFail, runbook.ECSDeploymentInProgress, []string{"IN_PROGRESS (1/2 tasks running"}}},
		},
		{
			name:     "deployment in progress with --force",
			fixture:  testenv.FixtureOptions{DesiredCount: 2},
			setup:    func(t *testing.T, p string, f *testenv.Fixture, o *Options) { o.AllowInProgress = true },
			wantExit: failure.ExitOK,
			want:     []expect{{IDECSService, testService, event.StatusPass, "", []string{"--force"}}},
		},
		{
			name:     "CodeDeploy controller",
			fixture:  testenv.FixtureOptions{Controller: "CODE_DEPLOY"},
			wantExit: failure.ExitPreflight,
			want:     []expect{{IDECSService, testService, event.StatusFail, runbook.ECSDeploymentController, []string{"uses the CODE_DEPLOY deployment controller"}}},
		},
		{
			name:     "log group missing",
			fixture:  testenv.FixtureOptions{NoLogGroup: true},
			wantExit: failure.ExitPreflight,
			want:     []expect{{IDLogsGroup, testService, event.StatusFail, runbook.LogsGroupMissing, []string{"container app logs to /ecs/", "in us-east-1, which does not exist"}}},
		},
		{
			name:     "wrong account",
			setup:    func(t *testing.T, p string, f *testenv.Fixture, o *Options) { o.Config.AccountID = "999999999999" },
			wantExit: failure.ExitPreflight,
			want:     []expect{{IDIdentity, "", event.StatusFail, runbook.AWSWrongAccount, []string{"in account 123456789012", "account_id is 999999999999"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := "/" + testenv.Unique("moto")
			fo := tt.fixture
			fo.Secrets = nil
			for _, name := range tt.fixture.Secrets {
				fo.Secrets = append(fo.Secrets, p+name)
			}
			f := testenv.NewFixture(t, c, fo)
			g := hermeticGit(t)
			opts := Options{Config: testConfig(t, g), Clients: c, git: g}
			if tt.setup != nil {
				tt.setup(t, p, &f, &opts)
			}
			opts.Config.Services[0].Cluster, opts.Config.Services[0].Service = f.Cluster, f.Service
			checks, err := Run(testenv.Ctx(t), opts)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Errorf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			for _, w := range tt.want {
				c := find(t, checks, w.id, w.service)
				if c.Status != w.status || c.RunbookID != w.runbookID {
					t.Errorf("%s %s = %s %q %q, want %s %q", w.service, w.id, c.Status, c.RunbookID, c.Message, w.status, w.runbookID)
				}
				for _, s := range w.inMsg {
					if !strings.Contains(c.Message, s) {
						t.Errorf("%s message %q lacks %q", w.id, c.Message, s)
					}
				}
			}
		})
	}
}

// TestMotoSSMParameterARNs checks task-definition secrets that reference
// SSM parameters by full ARN against moto, which resolves only names in
// GetParameters: an ARN of the run's account and region must be checked by
// its name, hierarchical (parameter/a/b is /a/b) or plain (parameter/x is x).
func TestMotoSSMParameterARNs(t *testing.T) {
	t.Parallel()
	c := testenv.Moto(t)
	const arnPrefix = "arn:aws:ssm:" + testenv.MotoRegion + ":" + testAccount + ":parameter/"
	tests := []struct {
		name       string
		create     []string // parameter names, {p} replaced by a unique prefix without a slash
		reference  []string // task definition secrets, likewise
		wantStatus string
		wantInMsg  []string
	}{
		{
			name:       "hierarchical and plain names",
			create:     []string{"/{p}/db-url", "{p}-plain"},
			reference:  []string{arnPrefix + "{p}/db-url", arnPrefix + "{p}-plain"},
			wantStatus: event.StatusPass, wantInMsg: []string{"all 2 SSM parameter(s)", "us-east-1: 2"},
		},
		{
			name:       "a missing one is named as written",
			create:     []string{"/{p}/db-url"},
			reference:  []string{arnPrefix + "{p}/db-url", arnPrefix + "{p}/gone"},
			wantStatus: event.StatusFail, wantInMsg: []string{"missing in us-east-1: " + arnPrefix, "/gone", "1 of 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := testenv.Unique("motoarn")
			for _, n := range tt.create {
				testenv.PutParameter(t, c, testenv.MotoRegion, strings.ReplaceAll(n, "{p}", p))
			}
			var refs []string
			for _, r := range tt.reference {
				refs = append(refs, strings.ReplaceAll(r, "{p}", p))
			}
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{Secrets: refs})
			g := hermeticGit(t)
			opts := Options{Config: testConfig(t, g), Clients: c, git: g}
			opts.Config.Services[0].Cluster, opts.Config.Services[0].Service = f.Cluster, f.Service
			checks, _ := Run(testenv.Ctx(t), opts)
			got := find(t, checks, IDSSMParameters, testService)
			if got.Status != tt.wantStatus {
				t.Fatalf("ssm.parameters = %s %q, want %s", got.Status, got.Message, tt.wantStatus)
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(got.Message, s) {
					t.Errorf("message %q lacks %q", got.Message, s)
				}
			}
		})
	}
}
