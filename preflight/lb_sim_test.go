package preflight

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// TestTargetGroupsSim runs the checklist against the simulator's load
// balancing, the account the demo and the deploy tests use, so its answers
// and the check agree on what each rule looks at.
func TestTargetGroupsSim(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		port      int32 // the service's containerPort; the app maps 8080
		spec      sim.TargetGroupSpec
		status    string
		runbookID string
		inMsg     []string
		wantExit  int
	}{
		{
			name: "wired", port: 8080, spec: sim.TargetGroupSpec{Name: "web"},
			status: event.StatusPass, inMsg: []string{"target group web (ip) forwards to app:8080, health check /healthz"}, wantExit: failure.ExitOK,
		},
		{
			name: "attached to no load balancer", port: 8080, spec: sim.TargetGroupSpec{Name: "web", NoListener: true},
			status: event.StatusFail, runbookID: runbook.LBTargetGroupMissing, inMsg: []string{"attached to no load balancer"}, wantExit: failure.ExitPreflight,
		},
		{
			name: "instance target group", port: 8080, spec: sim.TargetGroupSpec{Name: "web", TargetType: elbtypes.TargetTypeEnumInstance},
			status: event.StatusFail, runbookID: runbook.LBTargetTypeMismatch, inMsg: []string{"awsvpc tasks register as ip"}, wantExit: failure.ExitPreflight,
		},
		{
			name: "unmapped port", port: 9000, spec: sim.TargetGroupSpec{Name: "web"},
			status: event.StatusFail, runbookID: runbook.LBContainerPortMissing, inMsg: []string{"maps port(s) 8080, not 9000"}, wantExit: failure.ExitPreflight,
		},
		{
			name: "undeclared health path", port: 8080, spec: sim.TargetGroupSpec{Name: "web", HealthPath: "/health"},
			status: event.StatusWarn, runbookID: runbook.LBHealthPathMismatch, inMsg: []string{"the load balancer checks /health; omdeploy verifies /healthz"}, wantExit: failure.ExitOK,
		},
		{
			name: "matcher wider than any 2xx", port: 8080, spec: sim.TargetGroupSpec{Name: "web", Matcher: "200-499"},
			status: event.StatusWarn, runbookID: runbook.LBMatcherMismatch, inMsg: []string{"accepts 200-499 on /healthz"}, wantExit: failure.ExitOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sim.New(clock.Real{})
			s.AddService(sim.ServiceSpec{Cluster: testCluster, Name: testService, Port: 8080})
			s.AttachTargetGroup(testCluster, testService, s.AddTargetGroup(tt.spec), "app", tt.port)
			checks, err := runSim(t, s)
			expect(t, find(t, checks, IDLBTargetGroups, testService), tt.status, tt.runbookID, tt.inMsg...)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Errorf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
		})
	}
}

// TestTargetGroupsReadTheFile: with a task definition file, the container
// port the load balancer needs is looked for in the revision built from
// the file (as the engine registers it), not in the live definition.
func TestTargetGroupsReadTheFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lbPort   int32 // the service's load balancer containerPort; the live app maps 8080
		filePort int32 // what the file's app maps
		status   string
		inMsg    string
	}{
		{name: "the file maps the port the live definition lacks", lbPort: 9000, filePort: 9000, status: event.StatusPass, inMsg: "forwards to app:9000"},
		{name: "the file drops the port the live definition maps", lbPort: 8080, filePort: 7000, status: event.StatusFail, inMsg: "maps port(s) 7000, not 8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sim.New(clock.Real{})
			live := s.AddService(sim.ServiceSpec{Cluster: testCluster, Name: testService, Port: 8080})
			s.AttachTargetGroup(testCluster, testService, s.AddTargetGroup(sim.TargetGroupSpec{Name: "web"}), "app", tt.lbPort)
			out, err := s.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(live)})
			if err != nil {
				t.Fatal(err)
			}
			file := taskdef.RegisterInput(*out.TaskDefinition, nil)
			file.ContainerDefinitions[0].PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(tt.filePort)}}
			g := hermeticGit(t)
			opts := Options{Config: testConfig(t, g), git: g, AWS: &AWSAPIs{
				Region: sim.Region, RegionSource: awsx.RegionFromFlag, STS: s, IAM: s, ECS: s,
				SSMIn: func(string) SSMAPI { return s }, LogsIn: func(string) LogsAPI { return s }, ELBv2: s,
			}, TaskDefinitions: map[string]*ecs.RegisterTaskDefinitionInput{testService: file}}
			checks, _ := Run(t.Context(), opts)
			c := find(t, checks, IDLBTargetGroups, testService)
			if c.Status != tt.status || !strings.Contains(c.Message, tt.inMsg) {
				t.Fatalf("lb.target-groups = %s %q, want %s with %q", c.Status, c.Message, tt.status, tt.inMsg)
			}
		})
	}
}

// runSim runs the checklist of the test config against the simulated
// account s, load balancing included.
func runSim(t *testing.T, s *sim.Sim) ([]Check, error) {
	t.Helper()
	g := hermeticGit(t)
	opts := Options{Config: testConfig(t, g), git: g, AWS: &AWSAPIs{
		Region: sim.Region, RegionSource: awsx.RegionFromFlag, STS: s, IAM: s, ECS: s,
		SSMIn: func(string) SSMAPI { return s }, LogsIn: func(string) LogsAPI { return s }, ELBv2: s,
	}}
	return Run(t.Context(), opts)
}
