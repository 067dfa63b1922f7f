package scaffold

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// fakeECS is a hand-written ECSAPI.
type fakeECS struct {
	DescribeServicesFunc       func(*ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinitionFunc func(*ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error)
}

var _ ECSAPI = (*fakeECS)(nil)

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return f.DescribeServicesFunc(in)
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return f.DescribeTaskDefinitionFunc(in)
}

const gatewayTD = "arn:aws:ecs:eu-west-1:012345678901:task-definition/tech-gateway:41"

// world answers for services that exist, with tech-gateway's task
// definition: an essential app with awslogs and a health check, and a
// non-essential envoy sidecar listed first.
func world(existing map[string]string) *fakeECS {
	return &fakeECS{
		DescribeServicesFunc: func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
			out := &ecs.DescribeServicesOutput{}
			for _, name := range in.Services {
				status, ok := existing[shortName(name)]
				if !ok {
					out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(name), Reason: aws.String("MISSING")})
					continue
				}
				out.Services = append(out.Services, ecstypes.Service{ServiceName: aws.String(shortName(name)), Status: aws.String(status), TaskDefinition: aws.String(gatewayTD)})
			}
			return out, nil
		},
		DescribeTaskDefinitionFunc: func(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
			return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{
				TaskDefinitionArn: in.TaskDefinition,
				ContainerDefinitions: []ecstypes.ContainerDefinition{
					{Name: aws.String("envoy"), Image: aws.String("envoyproxy/envoy:v1.30"), Essential: aws.Bool(false)},
					{
						Name: aws.String("app"), Image: aws.String("123.dkr.ecr.eu-west-1.amazonaws.com/gateway:1.4.0"), Essential: aws.Bool(true),
						Secrets: []ecstypes.Secret{{Name: aws.String("DB"), ValueFrom: aws.String("/prod/db")}, {Name: aws.String("KEY"), ValueFrom: aws.String("/prod/key")}},
						LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
							Options: map[string]string{"awslogs-group": "/ecs/tech-gateway", "awslogs-region": "eu-west-1"}},
						HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"}},
					},
				},
			}}, nil
		},
	}
}

func TestDiscover(t *testing.T) {
	got, err := Discover(context.Background(), world(map[string]string{"tech-gateway": "ACTIVE"}), "omneuro-prod", []string{"tech-gateway"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d services", len(got))
	}
	s := got[0]
	checks := []struct{ name, got, want string }{
		{"cluster", s.Cluster, "omneuro-prod"},
		{"service", s.Service, "tech-gateway"},
		{"task definition", s.TaskDefinition, gatewayTD},
		{"account", s.AccountID, "012345678901"},
		{"container: the essential one, not the sidecar listed first", s.Container, "app"},
		{"health path from the container health check", s.HealthPath, "/healthz"},
		{"log group", s.Containers[1].LogGroup, "/ecs/tech-gateway"},
		{"log region", s.Containers[1].LogRegion, "eu-west-1"},
		{"image", s.Containers[1].Image, "123.dkr.ecr.eu-west-1.amazonaws.com/gateway:1.4.0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if s.Secrets != 2 || s.Containers[0].Essential {
		t.Errorf("secrets = %d, envoy essential = %v", s.Secrets, s.Containers[0].Essential)
	}
}

func TestDiscoverErrors(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	tests := []struct {
		name    string
		api     *fakeECS
		names   []string
		wantIs  error
		wantMsg string
	}{
		{"missing", world(map[string]string{}), []string{"nope"}, ErrServiceMissing, "service nope in cluster c: service not found"},
		{"deleted", world(map[string]string{"old": "INACTIVE"}), []string{"old"}, ErrServiceMissing, "service old in cluster c"},
		{"describe fails", &fakeECS{DescribeServicesFunc: func(*ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) { return nil, denied }},
			[]string{"x"}, denied, "describe services in cluster c:"},
		{"task definition fails", &fakeECS{
			DescribeServicesFunc: world(map[string]string{"x": "ACTIVE"}).DescribeServicesFunc,
			DescribeTaskDefinitionFunc: func(*ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
				return nil, denied
			},
		}, []string{"x"}, denied, "describe task definition " + gatewayTD + " of service x:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Discover(context.Background(), tt.api, "c", tt.names)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDiscoverBatchesAndKeepsOrder(t *testing.T) {
	existing := map[string]string{}
	var names []string
	for _, n := range "abcdefghijkl" { // 12 services: two calls
		existing[string(n)] = "ACTIVE"
		names = append(names, string(n))
	}
	slices.Reverse(names)
	names[0] = "arn:aws:ecs:eu-west-1:012345678901:service/c/" + names[0]
	api := world(existing)
	calls := 0
	inner := api.DescribeServicesFunc
	api.DescribeServicesFunc = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		calls++
		if len(in.Services) > describeBatch {
			t.Errorf("asked for %d services in one call", len(in.Services))
		}
		return inner(in)
	}
	got, err := Discover(context.Background(), api, "c", names)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || len(got) != 12 || got[0].Service != "l" || got[11].Service != "a" {
		t.Errorf("calls = %d, services = %d, first %q, last %q", calls, len(got), got[0].Service, got[len(got)-1].Service)
	}
}

func TestHealthPath(t *testing.T) {
	tests := map[string][]string{
		"/healthz":         {"CMD-SHELL", "curl -f http://localhost:8080/healthz || exit 1"},
		"/api/tech/health": {"CMD", "wget", "-qO-", "http://127.0.0.1/api/tech/health"},
		"":                 {"CMD-SHELL", "pgrep app"},
	}
	for want, cmd := range tests {
		if got := healthPath(cmd); got != want {
			t.Errorf("healthPath(%q) = %q, want %q", cmd, got, want)
		}
	}
	if got := healthPath([]string{"CMD-SHELL", "curl http://localhost/"}); got != "" {
		t.Errorf("root path kept: %q", got)
	}
}
