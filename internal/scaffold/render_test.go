package scaffold

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func noEnv(string) (string, bool) { return "", false }

func discovered() Config {
	return Config{Region: "eu-west-1", AccountID: "012345678901", Services: []Service{
		{
			Cluster: "omneuro-prod", Service: "tech-gateway", TaskDefinition: gatewayTD, Container: "app", Secrets: 2, HealthPath: "/api/tech/health",
			Containers: []Container{
				{Name: "envoy", Image: "envoyproxy/envoy:v1.30"},
				{Name: "app", Image: "123.dkr.ecr.eu-west-1.amazonaws.com/gateway:1.4.0", Essential: true, LogGroup: "/ecs/tech-gateway", LogRegion: "eu-west-1"},
			},
		},
		{Cluster: "omneuro-prod", Service: "yes", TaskDefinition: "arn:aws:ecs:eu-west-1:012345678901:task-definition/yes:3"},
	}}
}

func TestRenderParsesBack(t *testing.T) {
	tests := []struct {
		name          string
		in            Config
		wantServices  []config.Service
		region, accID string
	}{
		{"template", Config{}, []config.Service{{Name: "my-service", Cluster: "my-cluster", Service: "my-service"}}, "", ""},
		{"discovered", discovered(), []config.Service{
			{Name: "tech-gateway", Cluster: "omneuro-prod", Service: "tech-gateway", Container: "app"},
			{Name: "yes", Cluster: "omneuro-prod", Service: "yes"}, // quoted, not a YAML boolean
		}, "eu-west-1", "012345678901"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := Render(tt.in)
			golden(t, tt.name, data)
			f, err := config.Parse("omdeploy.yaml", data, noEnv)
			if err != nil {
				t.Fatalf("the written config does not parse: %v\n%s", err, data)
			}
			if f.Region != tt.region || f.AccountID != tt.accID {
				t.Errorf("region, account = %q, %q; want %q, %q", f.Region, f.AccountID, tt.region, tt.accID)
			}
			if len(f.Services) != len(tt.wantServices) {
				t.Fatalf("services = %d, want %d", len(f.Services), len(tt.wantServices))
			}
			for i, want := range tt.wantServices {
				got := f.Services[i]
				if got.Name != want.Name || got.Cluster != want.Cluster || got.Service != want.Service || got.Container != want.Container {
					t.Errorf("service %d = %+v, want %+v", i, got, want)
				}
				if got.Health != nil {
					t.Errorf("service %d: health is declared although its base URL is a guess", i)
				}
			}
		})
	}
}

// TestCommentedExamplesParse: every example left commented in the file is
// valid config once uncommented.
func TestCommentedExamplesParse(t *testing.T) {
	for name, in := range map[string]Config{"template": {}, "discovered": discovered()} {
		t.Run(name, func(t *testing.T) {
			data := render(in, true)
			f, err := config.Parse("omdeploy.yaml", data, noEnv)
			if err != nil {
				t.Fatalf("examples do not parse: %v\n%s", err, data)
			}
			h := f.Services[0].Health
			if h == nil || len(h.Endpoints) != 1 || f.Services[0].WaitTimeout.String() != "15m0s" || len(f.IAMActions) != 1 {
				t.Fatalf("examples parsed to %+v", f.Services[0])
			}
			if name == "discovered" && h.Endpoints[0].Path != "/api/tech/health" {
				t.Errorf("first endpoint = %q, want the container health check's path", h.Endpoints[0].Path)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "omdeploy.yaml")
	if err := Write(path, []byte("one\n"), false); err != nil {
		t.Fatal(err)
	}
	err := Write(path, []byte("two\n"), false)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second write: %v, want ErrExists mentioning --force", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one\n" {
		t.Fatalf("the file was changed without --force: %q", b)
	}
	if err := Write(path, []byte("2\n"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "2\n" {
		t.Fatalf("--force did not replace the file: %q", b)
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.yaml"), nil, false); err == nil || errors.Is(err, ErrExists) {
		t.Fatalf("write into a missing folder: %v", err)
	}
}

func TestStr(t *testing.T) {
	tests := map[string]string{"tech-gateway": "tech-gateway", "yes": `"yes"`, "123": `"123"`, "a b": `"a b"`, "${X}": `"${X}"`, "/ecs/x": "/ecs/x", "": `""`}
	for in, want := range tests {
		if got := str(in); got != want {
			t.Errorf("str(%q) = %s, want %s", in, got, want)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name+".yaml.golden"), string(got), *update)
}
