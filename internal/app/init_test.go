package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

func TestInitTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "omdeploy.yaml")
	code, out, stderr := run(t, "init", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "wrote "+path) {
		t.Errorf("stdout: %q", out)
	}
	if _, err := config.Load(path, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("the template does not load: %v", err)
	}

	// A second init keeps the file unless --force.
	if err := os.WriteFile(path, []byte("# edited by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "init", "--config", path)
	if code != 2 || !strings.Contains(stderr, "already exists; pass --force") {
		t.Fatalf("overwrite without --force: exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(path); string(b) != "# edited by hand\n" {
		t.Fatal("the file was overwritten without --force")
	}
	if code, _, stderr = run(t, "init", "--config", path, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "services:") {
		t.Fatal("--force did not write the template")
	}
}

func TestInitNeedsClusterAndService(t *testing.T) {
	path := filepath.Join(t.TempDir(), "omdeploy.yaml")
	code, _, stderr := run(t, "init", "--config", path, "--cluster", "prod")
	if code != 2 || !strings.Contains(stderr, "--cluster and --service go together") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a file was written")
	}
}

// TestInitFromMoto fills the config from a live service through the real
// SDK clients the command builds (--endpoint-url).
func TestInitFromMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	path := filepath.Join(t.TempDir(), "omdeploy.yaml")
	endpoint := testenv.MotoEndpoint(t)
	code, out, stderr := run(t, "init", "--config", path, "--endpoint-url", endpoint, "--region", testenv.MotoRegion,
		"--cluster", f.Cluster, "--service", f.Service)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("written config does not load: %v", err)
	}
	s := cfg.Services[0]
	if s.Cluster != f.Cluster || s.Service != f.Service || s.Container != "app" || cfg.Region != testenv.MotoRegion {
		t.Errorf("config: region %q, service %+v", cfg.Region, s)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "image repo/app:v1") || !strings.Contains(string(data), f.LogGroup) {
		t.Errorf("image or log group not noted:\n%s", data)
	}

	code, _, stderr = run(t, "init", "--config", filepath.Join(t.TempDir(), "x.yaml"), "--endpoint-url", endpoint, "--region", testenv.MotoRegion,
		"--cluster", f.Cluster, "--service", "no-such-service")
	if code != 3 || !strings.Contains(stderr, "ecs.service-missing") {
		t.Errorf("missing service: exit %d, stderr %q", code, stderr)
	}
}
