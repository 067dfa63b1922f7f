package scaffold

import (
	"errors"
	"testing"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestDiscoverMoto reads a real service through the SDK client (moto):
// the fixture's task definition has an essential "app" with awslogs and a
// non-essential "envoy" sidecar.
func TestDiscoverMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{Secrets: []string{"/omdeploy/test/db"}})
	ctx := testenv.Ctx(t)

	got, err := Discover(ctx, c.ECS, f.Cluster, []string{f.Service})
	if err != nil {
		t.Fatal(err)
	}
	s := got[0]
	if s.Service != f.Service || s.Cluster != f.Cluster || s.TaskDefinition != f.TaskDefinition || s.Container != "app" || s.Secrets != 1 {
		t.Errorf("discovered %+v", s)
	}
	if len(s.Containers) != 2 || s.Containers[0].Image != "repo/app:v1" || s.Containers[0].LogGroup != f.LogGroup || s.Containers[1].Essential {
		t.Errorf("containers %+v", s.Containers)
	}
	if s.AccountID == "" {
		t.Error("no account ID from the task definition ARN")
	}

	data := Render(Config{Region: c.Region, AccountID: s.AccountID, Services: got})
	cfg, err := config.Parse("omdeploy.yaml", data, noEnv)
	if err != nil {
		t.Fatalf("written config does not parse: %v\n%s", err, data)
	}
	if cfg.Services[0].Cluster != f.Cluster || cfg.Services[0].Container != "app" || cfg.Region != testenv.MotoRegion {
		t.Errorf("config %+v", cfg.Services[0])
	}

	if _, err := Discover(ctx, c.ECS, f.Cluster, []string{"no-such-service"}); !errors.Is(err, ErrServiceMissing) {
		t.Errorf("missing service: %v, want ErrServiceMissing", err)
	}
}
