package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// motoPush pushes a multi-platform index under repo:tag to moto's ECR.
func motoPush(t *testing.T, c *awsx.Clients, repo, tag string) (image, digest string) {
	t.Helper()
	return testenv.PushImage(t, c, repo, tag, "")
}

// motoSecret creates a secret in moto and returns its ARN.
func motoSecret(t *testing.T, c *awsx.Clients, name string) string {
	t.Helper()
	out, err := c.SecretsManagerIn(testenv.MotoRegion).CreateSecret(testenv.Ctx(t), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(`{"password":"not-printed"}`),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	return aws.ToString(out.ARN)
}

// TestMotoImagesAndSecrets runs the whole checklist with the real SDK
// clients against moto's ECR and Secrets Manager.
func TestMotoImagesAndSecrets(t *testing.T) {
	t.Parallel()
	c := testenv.Moto(t)
	tests := []struct {
		name     string
		setup    func(t *testing.T, o *Options) []string // returns the container's Secrets Manager references
		wantExit int
		id       string
		status   string
		runbook  string
		inMsg    func(o *Options) []string
	}{
		{
			name: "pushed tag: digest and platforms from moto",
			setup: func(t *testing.T, o *Options) []string {
				image, _ := motoPush(t, c, testenv.Unique("repo"), "v2")
				o.Change = imageref.Change{Image: image}
				return nil
			},
			wantExit: failure.ExitOK, id: IDImagesExist, status: event.StatusPass,
			inMsg: func(o *Options) []string { return []string{"(us-east-1) is sha256:", "(linux/amd64, linux/arm64)"} },
		},
		{
			name: "tag never pushed",
			setup: func(t *testing.T, o *Options) []string {
				image, _ := motoPush(t, c, testenv.Unique("repo"), "v2")
				missing, err := imageref.WithTag(image, "v9")
				if err != nil {
					t.Fatal(err)
				}
				o.Change = imageref.Change{Image: missing}
				return nil
			},
			wantExit: failure.ExitPreflight, id: IDImagesExist, status: event.StatusFail, runbook: runbook.ImageMissing,
			inMsg: func(o *Options) []string {
				ref, _ := imageref.Parse(o.Change.Image)
				return []string{"app: tag v9 not found in ECR repository " + ref.Repository + " (account 123456789012, us-east-1)"}
			},
		},
		{
			name: "repository missing",
			setup: func(t *testing.T, o *Options) []string {
				o.Change = imageref.Change{Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + testenv.Unique("norepo") + ":v1"}
				return nil
			},
			wantExit: failure.ExitPreflight, id: IDImagesExist, status: event.StatusFail, runbook: runbook.ImageRepositoryMissing,
			inMsg: func(o *Options) []string {
				return []string{"ECR repository norepo-", "does not exist in account 123456789012 (us-east-1)"}
			},
		},
		{
			name: "secret exists, json key",
			setup: func(t *testing.T, o *Options) []string {
				return []string{motoSecret(t, c, testenv.Unique("db")) + ":password::"}
			},
			wantExit: failure.ExitOK, id: IDSecretsExist, status: event.StatusPass,
			inMsg: func(o *Options) []string { return []string{"all 1 Secrets Manager secret(s)"} },
		},
		{
			name: "secret missing",
			setup: func(t *testing.T, o *Options) []string {
				return []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:" + testenv.Unique("gone") + "-AbCdEf"}
			},
			wantExit: failure.ExitPreflight, id: IDSecretsExist, status: event.StatusFail, runbook: runbook.SecretMissing,
			inMsg: func(o *Options) []string {
				return []string{"secret arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-", "not found in us-east-1"}
			},
		},
		{
			name: "version stage missing",
			setup: func(t *testing.T, o *Options) []string {
				return []string{motoSecret(t, c, testenv.Unique("db")) + "::AWSPENDING:"}
			},
			wantExit: failure.ExitPreflight, id: IDSecretsExist, status: event.StatusFail, runbook: runbook.SecretVersionMissing,
			inMsg: func(o *Options) []string { return []string{"has no version in stage AWSPENDING"} },
		},
		{
			name: "scheduled for deletion",
			setup: func(t *testing.T, o *Options) []string {
				arn := motoSecret(t, c, testenv.Unique("old"))
				if _, err := c.SecretsManagerIn(testenv.MotoRegion).DeleteSecret(testenv.Ctx(t), &secretsmanager.DeleteSecretInput{
					SecretId: aws.String(arn), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
					t.Fatal(err)
				}
				return []string{arn}
			},
			wantExit: failure.ExitPreflight, id: IDSecretsExist, status: event.StatusFail, runbook: runbook.SecretDeleted,
			inMsg: func(o *Options) []string { return []string{"is scheduled for deletion on"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := hermeticGit(t)
			opts := Options{Config: testConfig(t, g), Clients: c, git: g}
			opts.Config.Services[0].Container = "app"
			secrets := tt.setup(t, &opts)
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{Secrets: secrets})
			opts.Config.Services[0].Cluster, opts.Config.Services[0].Service = f.Cluster, f.Service
			checks, err := Run(context.Background(), opts)
			// The fixture's sidecar is a Docker Hub image: against an
			// emulator no registry outside it is asked, and that is a note,
			// not a failure.
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Errorf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			ch := find(t, checks, tt.id, testService)
			if ch.Status != tt.status || ch.RunbookID != tt.runbook {
				t.Fatalf("%s = %s %q %q, want %s %q", tt.id, ch.Status, ch.RunbookID, ch.Message, tt.status, tt.runbook)
			}
			for _, s := range tt.inMsg(&opts) {
				if !strings.Contains(ch.Message, s) {
					t.Errorf("%s message %q lacks %q", tt.id, ch.Message, s)
				}
			}
			if strings.Contains(ch.Message, "not-printed") {
				t.Fatalf("a secret value reached the message: %q", ch.Message)
			}
		})
	}
}
