package app

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// isolateAWS gives the test an AWS environment of its own: no region, no
// profile, no endpoint from the machine, and awsConfig (if any) as the
// shared config file.
func isolateAWS(t *testing.T, awsConfig string) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "OMDEPLOY_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k) // t.Setenv restores it after the test
	}
	conf := filepath.Join(dir, "config")
	if err := os.WriteFile(conf, []byte(awsConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", conf)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// countingAWS is an endpoint that counts the calls it gets and answers
// none of them usefully.
func countingAWS(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "not AWS", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestNoRegionNoCall: without a region every command that calls AWS fails
// up front with the aws.no-region fix, and sends nothing.
func TestNoRegionNoCall(t *testing.T) {
	isolateAWS(t, "")
	endpoint, calls := countingAWS(t)
	cfg := writeConfig(t, "services:\n  - name: web\n    cluster: c\n    service: s\n")
	tests := []struct {
		name string
		args []string
	}{
		{"status", []string{"status"}},
		{"status json", []string{"status", "-o", "json"}},
		{"preflight", []string{"preflight"}},
		{"deploy", []string{"deploy", "--tag", "v2"}},
		{"deploy skip preflight", []string{"deploy", "--tag", "v2", "--skip-preflight"}},
		{"deploy dry run", []string{"deploy", "--tag", "v2", "--dry-run"}},
		{"wait", []string{"wait"}},
		{"rollback", []string{"rollback"}},
		{"init", []string{"init", "--cluster", "c", "--service", "s", "--config", filepath.Join(t.TempDir(), "new.yaml")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--config", cfg, "--endpoint-url", endpoint}, tt.args...)
			code, stdout, stderr := run(t, args...)
			if code != 3 {
				t.Errorf("exit %d, want 3 (preflight)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, "aws.no-region") || !strings.Contains(stdout+stderr, "--region REGION") {
				t.Errorf("output lacks the aws.no-region entry and its fix:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			if strings.Contains(stdout, ": ok") {
				t.Errorf("stdout claims success:\n%s", stdout)
			}
			if n := calls.Load(); n != 0 {
				t.Fatalf("%d AWS call(s) went out without a region", n)
			}
		})
	}
}

// TestInitBrokenProfile: a profile that cannot give credentials is the
// credentials failure with its fix, not an internal error.
func TestInitBrokenProfile(t *testing.T) {
	isolateAWS(t, "[profile loop]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = missing\nregion = us-east-1\n"+
		"[profile failing]\ncredential_process = false\nregion = us-east-1\n")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	endpoint, _ := countingAWS(t)
	tests := []struct {
		name    string
		profile string
		runbook string
	}{
		{"no such profile", "nosuch", "aws.no-profile"},
		{"source profile missing", "loop", "aws.no-profile"},
		{"credential process fails", "failing", "aws.no-credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "omdeploy.yaml")
			code, stdout, stderr := run(t, "init", "--profile", tt.profile, "--endpoint-url", endpoint, "--config", path, "--cluster", "c", "--service", "s")
			if code != 3 {
				t.Errorf("exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.runbook) || !strings.Contains(stderr, "fix:") {
				t.Errorf("stderr lacks %s and its fix:\n%s", tt.runbook, stderr)
			}
			if strings.Contains(stdout, "stage done") {
				t.Errorf("reported as stage done:\n%s", stdout)
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("a config was written")
			}
		})
	}
}
