package preflight

import (
	"errors"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// awsChecks need working credentials; when credentials fail they skip
// instead of repeating the failure.
var awsChecks = []struct{ id, service string }{
	{IDIdentity, ""},
	{IDIAMPermissions, testService},
	{IDSSMParameters, testService},
	{IDECSCluster, testService},
	{IDECSService, testService},
	{IDLogsGroup, testService},
}

func TestCredentialFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		breakIt     func(*world, *Options)
		wantRunbook string
		wantFix     string
	}{
		{
			name:        "expired token",
			breakIt:     func(w *world, _ *Options) { w.stsErr = apiErr("ExpiredToken") },
			wantRunbook: runbook.AWSExpiredToken, wantFix: "aws sso login --profile prod",
		},
		{
			name:        "expired token exception",
			breakIt:     func(w *world, _ *Options) { w.stsErr = apiErr("ExpiredTokenException") },
			wantRunbook: runbook.AWSExpiredToken, wantFix: "aws sts assume-role",
		},
		{
			name:        "invalid client token id",
			breakIt:     func(w *world, _ *Options) { w.stsErr = apiErr("InvalidClientTokenId") },
			wantRunbook: runbook.AWSInvalidToken, wantFix: "aws configure list --profile prod",
		},
		{
			name: "sso session needs login",
			breakIt: func(w *world, _ *Options) {
				w.credsErr = errors.New("failed to refresh cached credentials, refresh cached SSO token failed, unable to refresh SSO token, operation error SSO OIDC: CreateToken, InvalidGrantException")
			},
			wantRunbook: runbook.AWSSSOLogin, wantFix: "aws sso login --profile prod",
		},
		{
			name: "no credentials",
			breakIt: func(w *world, _ *Options) {
				w.credsErr = errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
			},
			wantRunbook: runbook.AWSNoCredentials, wantFix: "aws configure list-profiles",
		},
		{
			name: "missing profile",
			breakIt: func(_ *world, o *Options) {
				o.AWS = nil
				o.AWSErr = awsconfig.SharedConfigProfileNotExistError{Profile: "prdo"}
			},
			wantRunbook: runbook.AWSNoProfile, wantFix: "aws configure sso --profile prdo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			checks, err := runWorld(t, w, func(o *Options) { tt.breakIt(w, o) })
			c := find(t, checks, IDCredentials, "")
			if c.Status != event.StatusFail || c.RunbookID != tt.wantRunbook {
				t.Fatalf("aws.credentials = %+v, want fail %s", c, tt.wantRunbook)
			}
			if !strings.Contains(c.Fix, tt.wantFix) {
				t.Fatalf("fix %q lacks %q", c.Fix, tt.wantFix)
			}
			for _, a := range awsChecks {
				if got := find(t, checks, a.id, a.service); got.Status != event.StatusSkip || !strings.Contains(got.Message, "credentials failed") {
					t.Errorf("%s: %s %q, want skip for failed credentials", a.id, got.Status, got.Message)
				}
			}
			if failure.ExitCode(err) != failure.ExitPreflight || failure.RunbookIDOf(err) != tt.wantRunbook {
				t.Fatalf("err = %v (exit %d, runbook %q)", err, failure.ExitCode(err), failure.RunbookIDOf(err))
			}
		})
	}
}

func TestCredentialsPass(t *testing.T) {
	t.Parallel()
	checks, _ := runWorld(t, newWorld(), nil)
	c := find(t, checks, IDCredentials, "")
	if c.Status != event.StatusPass || !strings.Contains(c.Message, "FakeProvider") || !strings.Contains(c.Message, "profile prod") {
		t.Fatalf("aws.credentials = %+v", c)
	}
	if strings.Contains(c.Message, "AKIAFAKE") {
		t.Fatalf("message shows the access key: %q", c.Message)
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		accountID   string
		stsErr      error
		wantStatus  string
		wantRunbook string
		wantInMsg   string
	}{
		{"matching account", testAccount, nil, event.StatusPass, "", "account 123456789012 (matches account_id)"},
		{"no account declared", "", nil, event.StatusPass, "", "assumed-role/deployer/alice"},
		{"wrong account", "999999999999", nil, event.StatusFail, runbook.AWSWrongAccount, "config's account_id is 999999999999"},
		{"sts denied", testAccount, apiErr("AccessDenied"), event.StatusFail, runbook.AWSAccessDenied, "sts:GetCallerIdentity"},
		{"sts unreachable", testAccount, errors.New("dial tcp: lookup sts.us-east-1.amazonaws.com: no such host"), event.StatusFail, runbook.AWSUnreachable, "no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			w.stsErr = tt.stsErr
			checks, _ := runWorld(t, w, func(o *Options) { o.Config.AccountID = tt.accountID })
			c := find(t, checks, IDIdentity, "")
			if c.Status != tt.wantStatus || c.RunbookID != tt.wantRunbook || !strings.Contains(c.Message, tt.wantInMsg) {
				t.Fatalf("aws.identity = %+v, want %s %q containing %q", c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg)
			}
			if tt.stsErr != nil {
				if cred := find(t, checks, IDCredentials, ""); cred.Status != event.StatusPass {
					t.Fatalf("a non-credential STS error failed aws.credentials: %+v", cred)
				}
			}
		})
	}
}

func TestRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		region      string
		source      string
		configured  string
		wantStatus  string
		wantRunbook string
		wantInMsg   string
	}{
		{"from flag", testRegion, awsx.RegionFromFlag, testRegion, event.StatusPass, "", "us-east-1 (from flag --region)"},
		{"from profile", testRegion, awsx.RegionFromProfile, "", event.StatusPass, "", "from AWS profile"},
		{"none", "", "", "", event.StatusFail, runbook.AWSNoRegion, "no region"},
		{"differs from config", "eu-west-1", awsx.RegionFromEnv, testRegion, event.StatusWarn, runbook.AWSRegionMismatch, "config's region is us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			apis := w.apis()
			apis.Region, apis.RegionSource = tt.region, tt.source
			checks, _ := runWorld(t, w, func(o *Options) { o.AWS = apis; o.Config.Region = tt.configured })
			c := find(t, checks, IDRegion, "")
			if c.Status != tt.wantStatus || c.RunbookID != tt.wantRunbook || !strings.Contains(c.Message, tt.wantInMsg) {
				t.Fatalf("aws.region = %+v, want %s %q containing %q", c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg)
			}
		})
	}
}

func TestAWSErrorFix(t *testing.T) {
	t.Parallel()
	id, fix := AWSErrorFix(apiErr("ExpiredToken"), "ops", "eu-west-1")
	if id != runbook.AWSExpiredToken || fix != runbook.Fix(runbook.AWSExpiredToken, map[string]string{"profile": "ops"}) {
		t.Fatalf("AWSErrorFix = %q %q", id, fix)
	}
	if id, _ := AWSErrorFix(apiErr("ValidationException"), "ops", "eu-west-1"); id != runbook.AWSAPIError {
		t.Fatalf("unknown code maps to %q", id)
	}
}
