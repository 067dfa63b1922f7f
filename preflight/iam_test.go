package preflight

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestIAMPermissions(t *testing.T) {
	t.Parallel()
	const serviceARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"
	const sdARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/tech-gateway/*"
	tests := []struct {
		name        string
		breakIt     func(*world)
		opts        func(*Options) // nil: the defaults
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
		wantSource  string // the PolicySourceArn simulated
	}{
		{
			name:       "allowed",
			breakIt:    func(*world) {},
			wantStatus: event.StatusPass, wantInMsg: []string{"allowed all 11 actions", "path from iam:GetRole"},
			wantSource: testRoleARN,
		},
		{
			name: "denied actions listed with resources",
			breakIt: func(w *world) {
				w.denied["ecs:UpdateService "+serviceARN] = true
				w.denied["iam:PassRole arn:aws:iam::123456789012:role/app-task"] = true
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.IAMPermissionDenied,
			wantInMsg: []string{
				"ecs:UpdateService on " + serviceARN + " (implicitDeny)",
				"iam:PassRole on arn:aws:iam::123456789012:role/app-task",
			},
			wantSource: testRoleARN,
		},
		{
			name: "service-deployment reads denied: a warning naming the fallback",
			breakIt: func(w *world) {
				w.denied["ecs:ListServiceDeployments "+serviceARN] = true
				w.denied["ecs:DescribeServiceDeployments "+sdARN] = true
			},
			wantStatus: event.StatusWarn, wantRunbook: runbook.IAMPermissionDenied,
			wantInMsg:  []string{"denied 2 of the actions", "can do without", "ecs:ListServiceDeployments on " + serviceARN, "followed through deployments[]"},
			wantSource: testRoleARN,
		},
		{
			name:       "StopServiceDeployment denied when the run may roll back: a warning",
			breakIt:    func(w *world) { w.denied["ecs:StopServiceDeployment "+sdARN] = true },
			opts:       func(o *Options) { o.RollsBack = true },
			wantStatus: event.StatusWarn, wantRunbook: runbook.IAMPermissionDenied,
			wantInMsg:  []string{"ecs:StopServiceDeployment on " + sdARN, "rolled back with UpdateService instead"},
			wantSource: testRoleARN,
		},
		{
			name:    "ContinueServiceDeployment denied for gated blue/green: a failure",
			breakIt: func(w *world) { w.denied["ecs:ContinueServiceDeployment "+sdARN] = true },
			opts: func(o *Options) {
				h := *o.Config.Services[0].Health
				h.TestBaseURL = "https://test.example.com:8443"
				o.Config.Services[0].Health = &h
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.IAMPermissionDenied,
			wantInMsg:  []string{"ecs:ContinueServiceDeployment on " + sdARN},
			wantSource: testRoleARN,
		},
		{
			name:       "simulation denied is a skip",
			breakIt:    func(w *world) { w.simErr = apiErr("AccessDenied") },
			wantStatus: event.StatusSkip, wantInMsg: []string{"iam:SimulatePrincipalPolicy is not allowed", "not verified"},
			wantSource: testRoleARN,
		},
		{
			name:       "simulation unavailable is a skip",
			breakIt:    func(w *world) { w.simErr = apiErr("InternalFailure") },
			wantStatus: event.StatusSkip, wantInMsg: []string{"simulation is unavailable", "not verified"},
			wantSource: testRoleARN,
		},
		{
			name:       "GetRole denied: role ARN without its path",
			breakIt:    func(w *world) { w.getRoleErr = apiErr("AccessDenied") },
			wantStatus: event.StatusPass, wantInMsg: []string{"iam:GetRole failed (AccessDenied), so simulated without a path"},
			wantSource: "arn:aws:iam::123456789012:role/deployer",
		},
		{
			name:       "IAM user simulated as itself",
			breakIt:    func(w *world) { w.callerARN = "arn:aws:iam::123456789012:user/ci/deploy-bot" },
			wantStatus: event.StatusPass, wantInMsg: []string{"user/ci/deploy-bot is allowed"},
			wantSource: "arn:aws:iam::123456789012:user/ci/deploy-bot",
		},
		{
			name:       "root is not simulated",
			breakIt:    func(w *world) { w.callerARN = "arn:aws:iam::123456789012:root" },
			wantStatus: event.StatusSkip, wantInMsg: []string{"root user"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			tt.breakIt(w)
			checks, _ := runWorld(t, w, tt.opts)
			c := find(t, checks, IDIAMPermissions, testService)
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			if tt.wantRunbook != "" && !strings.Contains(c.Fix, "--policy-source-arn "+tt.wantSource) {
				t.Errorf("fix %q does not name the principal", c.Fix)
			}
			for _, in := range w.simInputs {
				if got := aws.ToString(in.PolicySourceArn); got != tt.wantSource {
					t.Fatalf("simulated %s, want %s", got, tt.wantSource)
				}
			}
		})
	}
}

// The simulation asks about the deploy's real resources; one call asks
// about the union of actions on the union of resources, and each action's
// verdict is read on the resources it touches only.
func TestIAMSimulatesRealResources(t *testing.T) {
	t.Parallel()
	w := newWorld()
	checks, _ := runWorld(t, w, func(o *Options) { o.Config.IAMActions = []string{"s3:GetObject"} })
	if c := find(t, checks, IDIAMPermissions, ""); c.Status != event.StatusPass {
		t.Fatalf("run-wide iam.permissions = %+v", c)
	}
	got := map[string][]string{}
	for _, in := range w.simInputs {
		for _, a := range in.ActionNames {
			got[a] = append(got[a], in.ResourceArns...)
		}
	}
	want := map[string][]string{
		"ecs:DescribeServices":           {"arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"},
		"ecs:UpdateService":              {"arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"},
		"ecs:DescribeTaskDefinition":     {"*"},
		"ecs:RegisterTaskDefinition":     {"*"},
		"ecs:ListTasks":                  {"arn:aws:ecs:us-east-1:123456789012:container-instance/prod/*"},
		"ecs:DescribeTasks":              {"arn:aws:ecs:us-east-1:123456789012:task/prod/*"},
		"ecs:DescribeServiceDeployments": {"arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/tech-gateway/*"},
		"ecs:ListServiceDeployments":     {"arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"},
		"iam:PassRole":                   {"arn:aws:iam::123456789012:role/app-task", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"},
		"ssm:GetParameters":              {"arn:aws:ssm:us-east-1:123456789012:parameter/tech/db-url"},
		"logs:GetLogEvents":              {"arn:aws:logs:us-east-1:123456789012:log-group:/ecs/tech:log-stream:*"},
		"s3:GetObject":                   {"*"},
	}
	for action, resources := range want {
		if !containsAll(got[action], resources) {
			t.Errorf("%s simulated on %v, want at least %v", action, got[action], resources)
		}
	}
	if len(got) != len(want) {
		t.Errorf("simulated actions %v, want %d", got, len(want))
	}
}

// A denial on a resource an action never touches (which the union's cross
// product evaluates too) does not fail the check; one on a resource it
// touches does.
func TestIAMJudgesOnlyTouchedResources(t *testing.T) {
	t.Parallel()
	const service = "arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"
	tests := []struct {
		name       string
		denied     []string
		wantStatus string
		wantInMsg  []string
	}{
		{"untouched pairs denied", []string{"ecs:UpdateService *", "iam:PassRole " + service, "ecs:RegisterTaskDefinition " + service}, event.StatusPass, []string{"is allowed all"}},
		{"touched pair denied", []string{"ecs:UpdateService " + service}, event.StatusFail, []string{"denied 1 of the actions", "ecs:UpdateService on " + service}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			for _, d := range tt.denied {
				w.denied[d] = true
			}
			checks, _ := runWorld(t, w, nil)
			c := find(t, checks, IDIAMPermissions, testService)
			if c.Status != tt.wantStatus {
				t.Fatalf("iam.permissions = %s: %s, want %s", c.Status, c.Message, tt.wantStatus)
			}
			for _, m := range tt.wantInMsg {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q lacks %q", c.Message, m)
				}
			}
		})
	}
}

// The services of one cluster share one simulation; another cluster's
// services get their own, since the simulation's context is the cluster.
// A log group several services name is looked up once.
func TestIAMSimulatesOncePerCluster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		clusters []string // of the services, in order
		want     int      // SimulatePrincipalPolicy calls
	}{
		{"one service", []string{"prod"}, 1},
		{"three services, one cluster", []string{"prod", "prod", "prod"}, 1},
		{"three services, two clusters", []string{"prod", "prod", "staging"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			checks, _ := runWorld(t, w, func(o *Options) {
				base := o.Config.Services[0]
				o.Config.Services = nil
				for i, cl := range tt.clusters {
					s := base
					s.Name, s.Cluster = fmt.Sprintf("%s-%d", base.Name, i), cl
					o.Config.Services = append(o.Config.Services, s)
				}
			})
			w.mu.Lock()
			got, logCalls := len(w.simInputs), w.logCalls
			w.mu.Unlock()
			if got != tt.want {
				t.Errorf("SimulatePrincipalPolicy calls = %d, want %d", got, tt.want)
			}
			// Every service logs to the same group: it is looked up once.
			if logCalls != 1 {
				t.Errorf("DescribeLogGroups calls = %d, want 1", logCalls)
			}
			for i := range tt.clusters {
				if c := find(t, checks, IDIAMPermissions, fmt.Sprintf("%s-%d", testService, i)); c.Status != event.StatusPass {
					t.Errorf("service %d: iam.permissions = %s: %s", i, c.Status, c.Message)
				}
			}
		})
	}
}

// containsAll reports whether every one of want is in got.
func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// iamServer answers the IAM query protocol: GetRole with the deploy role,
// SimulatePrincipalPolicy with the given status and error code, counting
// the simulation requests.
func iamServer(t *testing.T, status int, code string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var sims atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse IAM request: %v", err)
		}
		w.Header().Set("Content-Type", "text/xml")
		switch action := r.Form.Get("Action"); action {
		case "GetRole":
			fmt.Fprintf(w, `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>`+
				`<Path>/deploy/</Path><RoleName>deployer</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>%s</Arn>`+
				`<CreateDate>2024-01-01T00:00:00Z</CreateDate></Role></GetRoleResult>`+
				`<ResponseMetadata><RequestId>req-role</RequestId></ResponseMetadata></GetRoleResponse>`, testRoleARN)
		case "SimulatePrincipalPolicy":
			sims.Add(1)
			w.WriteHeader(status)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type>`+
				`<Code>%s</Code><Message>%s from the test server</Message></Error><RequestId>req-sim</RequestId></ErrorResponse>`, code, code)
		default:
			t.Errorf("unexpected IAM action %q", action)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &sims
}

// A simulation endpoint that answers 5xx is "simulation unavailable" at
// its first answer: the real SDK client must not back off and retry it.
// Throttling is still retried, which shows the count can tell them apart.
func TestIAMSimulationUnavailableIsNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		code       string
		wantSims   int32
		wantStatus string
		wantInMsg  []string
	}{
		{"500 ServiceFailure", http.StatusInternalServerError, "ServiceFailure", 1, event.StatusSkip,
			[]string{"simulation is unavailable", "HTTP 500 (ServiceFailure)", "not verified"}},
		{"501 NotImplemented", http.StatusNotImplemented, "NotImplemented", 1, event.StatusSkip,
			[]string{"simulation is unavailable", "HTTP 501 (NotImplemented)"}},
		{"503 ServiceUnavailable", http.StatusServiceUnavailable, "ServiceUnavailable", 1, event.StatusSkip,
			[]string{"simulation is unavailable", "HTTP 503"}},
		{"400 Throttling is retried", http.StatusBadRequest, "Throttling", 3, event.StatusSkip,
			[]string{"simulation is unavailable", "Throttling"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, sims := iamServer(t, tt.status, tt.code)
			client := iam.NewFromConfig(aws.Config{
				Region:      testRegion,
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test", ""),
				HTTPClient:  srv.Client(),
			}, func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
			checks, _ := runWorld(t, newWorld(), func(o *Options) { o.AWS.IAM = client })
			c := find(t, checks, IDIAMPermissions, testService)
			expect(t, c, tt.wantStatus, "", tt.wantInMsg...)
			if got := sims.Load(); got != tt.wantSims {
				t.Fatalf("SimulatePrincipalPolicy requests = %d, want %d", got, tt.wantSims)
			}
		})
	}
}
