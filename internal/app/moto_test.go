package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// doc is the part of the JSON contract these tests read.
type doc struct {
	Command  string `json:"command"`
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Stage    string `json:"stage"`
	Error    string `json:"error"`
	Checks   []struct {
		ID      string `json:"id"`
		Service string `json:"service"`
		Status  string `json:"status"`
		Message string `json:"message"`
		Fix     string `json:"fix"`
	} `json:"checks"`
	Services []struct {
		Name                   string `json:"name"`
		Cluster                string `json:"cluster"`
		PreviousTaskDefinition string `json:"previous_task_definition"`
		TaskDefinition         string `json:"task_definition"`
		DeploymentID           string `json:"deployment_id"`
		RolloutState           string `json:"rollout_state"`
		RolledBack             bool   `json:"rolled_back"`
		Health                 []any  `json:"health"`
	} `json:"services"`
}

func motoConfig(t *testing.T, f testenv.Fixture, extra string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf("region: us-east-1\n%sservices:\n  - name: web\n    cluster: %s\n    service: %s\n    container: app\n    wait_timeout: 20s\n", extra, f.Cluster, f.Service))
}

func runMoto(t *testing.T, cfg string, args ...string) (int, doc, string) {
	t.Helper()
	ep := testenv.MotoEndpoint(t)
	full := append([]string{args[0], "--config", cfg, "--endpoint-url", ep, "--region", "us-east-1", "--output", "json"}, args[1:]...)
	code, stdout, stderr := run(t, full...)
	testenv.ValidDocument(t, stdout)
	var d doc
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	return code, d, stderr
}

func TestDeployAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	tests := []struct {
		name      string
		args      []string
		wantImage string
		newRev    bool
	}{
		{"image", []string{"--image", "repo/app:v2"}, "repo/app:v2", true},
		{"force new deployment", []string{"--force-new-deployment"}, "repo/app:v1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			before := describe(t, c, f)
			cfg := motoConfig(t, f, "")
			code, d, stderr := runMoto(t, cfg, append([]string{"deploy"}, tt.args...)...)
			if code != 0 || !d.OK || d.Stage != "done" || d.Command != "deploy" {
				t.Fatalf("exit %d, doc %+v\nstderr:\n%s", code, d, stderr)
			}
			if len(d.Services) != 1 {
				t.Fatalf("services = %+v", d.Services)
			}
			s := d.Services[0]
			if s.PreviousTaskDefinition != f.TaskDefinition || s.RolloutState != "COMPLETED" || s.Health == nil {
				t.Fatalf("service = %+v", s)
			}
			after := describe(t, c, f)
			td, err := c.ECS.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: after.TaskDefinition})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image); got != tt.wantImage {
				t.Fatalf("service runs image %q, want %q", got, tt.wantImage)
			}
			if tt.newRev {
				if td.TaskDefinition.Revision != 2 || s.TaskDefinition != aws.ToString(after.TaskDefinition) {
					t.Fatalf("revision %d, doc task definition %s, service %s", td.TaskDefinition.Revision, s.TaskDefinition, aws.ToString(after.TaskDefinition))
				}
			} else if s.DeploymentID == aws.ToString(before.Deployments[0].Id) || s.DeploymentID != aws.ToString(after.Deployments[0].Id) {
				t.Fatalf("deployment id %s, before %s, after %s: want a new one", s.DeploymentID, aws.ToString(before.Deployments[0].Id), aws.ToString(after.Deployments[0].Id))
			}
		})
	}
}

func describe(t *testing.T, c *awsx.Clients, f testenv.Fixture) ecstypes.Service {
	t.Helper()
	out, err := c.ECS.DescribeServices(testenv.Ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(f.Cluster), Services: []string{f.Service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service: %v %+v", err, out)
	}
	return out.Services[0]
}

func TestPreflightMissingParameterAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	present, missing := "/"+testenv.Unique("omd")+"/present", "/"+testenv.Unique("omd")+"/missing"
	testenv.PutParameter(t, c, "us-east-1", present)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{Secrets: []string{present, missing}})
	cfg := motoConfig(t, f, "")
	code, d, stderr := runMoto(t, cfg, "preflight")
	if code != 3 || d.OK || d.Stage != "preflight" || d.ExitCode != 3 {
		t.Fatalf("exit %d, doc %+v\nstderr:\n%s", code, d, stderr)
	}
	found := false
	for _, ch := range d.Checks {
		if ch.ID == "ssm.parameters" && ch.Status == "fail" && strings.Contains(ch.Message, missing) && strings.Contains(ch.Message, "us-east-1") {
			found = true
			if strings.Contains(ch.Message, present) || strings.Contains(stderr, "s3cr3t-value") {
				t.Fatalf("check names a present parameter or prints a value: %+v", ch)
			}
			if ch.Fix == "" {
				t.Fatalf("failed check has no fix: %+v", ch)
			}
		}
	}
	if !found {
		t.Fatalf("no failing ssm.parameters check naming %s in us-east-1: %+v", missing, d.Checks)
	}
}

func TestDeployMissingServiceAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	tests := []struct {
		name    string
		cluster string
		service string
		args    []string
		want    []string
	}{
		{"service, preflight", f.Cluster, "no-such-svc", nil, []string{"no-such-svc", "us-east-1"}},
		{"cluster, preflight", "no-such-cluster", f.Service, nil, []string{"no-such-cluster", "us-east-1"}},
		{"service, skip preflight", f.Cluster, "no-such-svc", []string{"--skip-preflight"}, []string{"no-such-svc", "us-east-1"}},
		{"cluster, skip preflight", "no-such-cluster", f.Service, []string{"--skip-preflight"}, []string{"no-such-cluster", "us-east-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, fmt.Sprintf("services:\n  - name: web\n    cluster: %s\n    service: %s\n", tt.cluster, tt.service))
			code, d, stderr := runMoto(t, cfg, append([]string{"deploy", "--image", "repo/app:v9"}, tt.args...)...)
			if code == 0 || d.OK {
				t.Fatalf("exit %d, want non-zero; doc %+v", code, d)
			}
			all := stderr + d.Error
			for _, ch := range d.Checks {
				all += ch.Message
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Fatalf("output does not name %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestHistoryTextAgainstMoto: moto has no service deployments, so history
// prints the table of deployments[] and says why once, on stderr.
func TestHistoryTextAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	code, stdout, stderr := run(t, "history", "--config", motoConfig(t, f, ""), "--endpoint-url", testenv.MotoEndpoint(t), "--region", "us-east-1")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "STARTED") || !strings.Contains(stdout, "COMPLETED") || !strings.Contains(stdout, f.Family+":1") {
		t.Errorf("stdout lacks the table of deployments[]:\n%s", stdout)
	}
	if n := strings.Count(stderr, "service deployments unavailable"); n != 1 || !strings.Contains(stderr, "deployments[]") {
		t.Errorf("stderr says service deployments are unavailable %d times, want once:\n%s", n, stderr)
	}
}
