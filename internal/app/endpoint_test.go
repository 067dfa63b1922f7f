package app

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestEndpointFromSDKEnvironment shows that the SDK's own endpoint variables
// reach the clients when --endpoint-url is not given.
func TestEndpointFromSDKEnvironment(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	ep := testenv.MotoEndpoint(t)
	tests := []struct {
		name string
		env  string
	}{
		{"all services", "AWS_ENDPOINT_URL"},
		{"ecs only", "AWS_ENDPOINT_URL_ECS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.env, ep)
			cfg := writeConfig(t, fmt.Sprintf("services:\n  - name: web\n    cluster: %s\n    service: %s\n", f.Cluster, f.Service))
			code, stdout, stderr := run(t, "status", "--config", cfg, "--region", "us-east-1", "--output", "json")
			if code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
			}
			var d struct {
				Status []struct {
					Found          bool   `json:"found"`
					TaskDefinition string `json:"task_definition"`
				} `json:"status"`
			}
			if err := json.Unmarshal([]byte(stdout), &d); err != nil {
				t.Fatal(err)
			}
			if len(d.Status) != 1 || !d.Status[0].Found || d.Status[0].TaskDefinition != f.TaskDefinition {
				t.Fatalf("status via %s = %+v, want the moto service", tt.env, d.Status)
			}
		})
	}
}
