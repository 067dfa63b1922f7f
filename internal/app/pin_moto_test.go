package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestRenderPinDigestAgainstMoto: render --pin-digest prints the file's
// revision with every image by the digest images.exist resolved in moto's
// ECR; an image whose digest is unknown (Docker Hub, not asked behind an
// endpoint override) is exit 3 with the fix, and nothing is printed.
func TestRenderPinDigestAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	app, appDigest := testenv.PushImage(t, c, testenv.Unique("app"), "v2", "")
	envoy, envoyDigest := testenv.PushImage(t, c, testenv.Unique("envoy"), "v1", "")
	endpoint := testenv.MotoEndpoint(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omdeploy.yaml")
	aws := []string{"--config", cfg, "--endpoint-url", endpoint, "--region", testenv.MotoRegion}
	if code, out, stderr := run(t, append([]string{"init", "--export", "--cluster", f.Cluster, "--service", f.Service}, aws...)...); code != 0 {
		t.Fatalf("init --export: exit %d\n%s%s", code, out, stderr)
	}
	body := fmt.Sprintf("region: us-east-1\nservices:\n  - name: web\n    cluster: %s\n    service: %s\n    container: app\n    task_definition: %s.taskdef.json\n", f.Cluster, f.Service, f.Service)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := run(t, append([]string{"render", "--service", "web", "--pin-digest", "--image", "app=" + app, "--image", "envoy=" + envoy}, aws...)...)
	for _, want := range []string{imageref.Pin(app, appDigest), imageref.Pin(envoy, envoyDigest)} {
		if code != 0 || !strings.Contains(out, `"image": "`+want+`"`) {
			t.Fatalf("render --pin-digest: exit %d, want %s in\n%s%s", code, want, out, stderr)
		}
	}

	code, out, stderr = run(t, append([]string{"render", "--service", "web", "--pin-digest", "--image", "app=" + app}, aws...)...)
	if code != failure.ExitPreflight || strings.Contains(out, "containerDefinitions") || !strings.Contains(stderr, "envoy (envoyproxy/envoy:v1.30)") || !strings.Contains(stderr, "@sha256") {
		t.Fatalf("render --pin-digest with a Docker Hub sidecar: exit %d, want %d naming it with the fix\nstdout:\n%s\nstderr:\n%s", code, failure.ExitPreflight, out, stderr)
	}
}
