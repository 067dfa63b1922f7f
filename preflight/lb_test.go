package preflight

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

const (
	testTGARN       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tech-tg/0123456789abcdef"
	testLBARN       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/tech/0123456789abcdef"
	testListenerARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/tech/0123456789abcdef/1111"
	otherTGARN      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/fedcba9876543210"
)

// fakeELB is one load balancer with one listener: its default action and
// rules are the test's to set.
type fakeELB struct {
	groups   map[string]elbtypes.TargetGroup // ARN -> group
	defaults []elbtypes.Action
	rules    []elbtypes.Rule
	err      error // every call's answer, when set
}

var _ ELBv2API = (*fakeELB)(nil)

func (f *fakeELB) DescribeTargetGroups(_ context.Context, in *elasticloadbalancingv2.DescribeTargetGroupsInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := &elasticloadbalancingv2.DescribeTargetGroupsOutput{}
	for _, a := range in.TargetGroupArns {
		g, ok := f.groups[a]
		if !ok {
			return nil, apiErr(codeTargetGroupNotFound)
		}
		out.TargetGroups = append(out.TargetGroups, g)
	}
	return out, nil
}

func (f *fakeELB) DescribeListeners(_ context.Context, in *elasticloadbalancingv2.DescribeListenersInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeListenersOutput, error) {
	if aws.ToString(in.LoadBalancerArn) != testLBARN {
		return nil, apiErr("LoadBalancerNotFound")
	}
	return &elasticloadbalancingv2.DescribeListenersOutput{Listeners: []elbtypes.Listener{{
		ListenerArn: aws.String(testListenerARN), LoadBalancerArn: aws.String(testLBARN), DefaultActions: f.defaults,
	}}}, nil
}

func (f *fakeELB) DescribeRules(_ context.Context, in *elasticloadbalancingv2.DescribeRulesInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeRulesOutput, error) {
	if aws.ToString(in.ListenerArn) != testListenerARN {
		return nil, apiErr("ListenerNotFound")
	}
	return &elasticloadbalancingv2.DescribeRulesOutput{Rules: f.rules}, nil
}

// lbWorld is newWorld with the service behind an ALB whose target group
// checks /healthz, the health endpoint testConfig declares.
func lbWorld() (*world, *fakeELB) {
	w := newWorld()
	w.service.LoadBalancers = []ecstypes.LoadBalancer{{
		TargetGroupArn: aws.String(testTGARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080),
	}}
	w.taskDef.NetworkMode = ecstypes.NetworkModeAwsvpc
	w.taskDef.ContainerDefinitions[0].PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}
	f := &fakeELB{
		groups: map[string]elbtypes.TargetGroup{testTGARN: {
			TargetGroupArn: aws.String(testTGARN), TargetGroupName: aws.String("tech-tg"),
			TargetType: elbtypes.TargetTypeEnumIp, LoadBalancerArns: []string{testLBARN},
			HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: aws.String("/healthz"),
			Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")},
		}},
		defaults: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(testTGARN)}},
	}
	return w, f
}

func TestTargetGroups(t *testing.T) {
	t.Parallel()
	// The service behind the target group: /healthz answers, /health is a
	// route it does not have.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	setTG := func(f *fakeELB, change func(*elbtypes.TargetGroup)) {
		g := f.groups[testTGARN]
		change(&g)
		f.groups[testTGARN] = g
	}
	tests := []struct {
		name      string
		breakIt   func(*world, *fakeELB, *config.Service)
		strict    bool
		status    string
		runbookID string
		inMsg     []string
		wantExit  int
	}{
		{
			name:     "wired as the config says",
			breakIt:  func(*world, *fakeELB, *config.Service) {},
			status:   event.StatusPass,
			inMsg:    []string{"target group tech-tg (ip) forwards to app:8080, health check /healthz"},
			wantExit: failure.ExitOK,
		},
		{
			name:     "no load balancer",
			breakIt:  func(w *world, _ *fakeELB, _ *config.Service) { w.service.LoadBalancers = nil },
			status:   event.StatusPass,
			inMsg:    []string{"no load balancer"},
			wantExit: failure.ExitOK,
		},
		{
			name: "forwarded by a rule's weighted forward config",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				f.defaults = []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse}}
				f.rules = []elbtypes.Rule{{Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
					TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(otherTGARN)}, {TargetGroupArn: aws.String(testTGARN)}},
				}}}}}
			},
			status:   event.StatusPass,
			wantExit: failure.ExitOK,
		},
		{
			name:      "target group missing",
			breakIt:   func(_ *world, f *fakeELB, _ *config.Service) { delete(f.groups, testTGARN) },
			status:    event.StatusFail,
			runbookID: runbook.LBTargetGroupMissing,
			inMsg:     []string{"target group " + testTGARN + " does not exist in us-east-1"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "attached to no load balancer",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.LoadBalancerArns = nil })
			},
			status:    event.StatusFail,
			runbookID: runbook.LBTargetGroupMissing,
			inMsg:     []string{"tech-tg is attached to no load balancer"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "no listener or rule forwards to it",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				f.defaults = []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(otherTGARN)}}
				f.rules = []elbtypes.Rule{{Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect}}}}
			},
			status:    event.StatusFail,
			runbookID: runbook.LBTargetGroupMissing,
			inMsg:     []string{"no listener or rule of its load balancer forwards to target group tech-tg"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "instance target group for awsvpc tasks",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.TargetType = elbtypes.TargetTypeEnumInstance })
			},
			status:    event.StatusFail,
			runbookID: runbook.LBTargetTypeMismatch,
			inMsg:     []string{"tech-tg has target type instance, but awsvpc tasks register as ip"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name:      "ip target group for bridge tasks",
			breakIt:   func(w *world, _ *fakeELB, _ *config.Service) { w.taskDef.NetworkMode = ecstypes.NetworkModeBridge },
			status:    event.StatusFail,
			runbookID: runbook.LBTargetTypeMismatch,
			inMsg:     []string{"target type ip, but bridge tasks register as instance"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "container port not mapped",
			breakIt: func(w *world, _ *fakeELB, _ *config.Service) {
				w.service.LoadBalancers[0].ContainerPort = aws.Int32(9090)
			},
			status:    event.StatusFail,
			runbookID: runbook.LBContainerPortMissing,
			inMsg:     []string{"container app of the new revision maps port(s) 8080, not 9090"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "container missing",
			breakIt: func(w *world, _ *fakeELB, _ *config.Service) {
				w.service.LoadBalancers[0].ContainerName = aws.String("web")
			},
			status:    event.StatusFail,
			runbookID: runbook.LBContainerPortMissing,
			inMsg:     []string{"the new revision has no container web (it has app, envoy)"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "health path not declared warns naming both",
			breakIt: func(_ *world, f *fakeELB, s *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.HealthCheckPath = aws.String("/health") })
				s.Health.Endpoints = []config.Endpoint{{Path: "/healthz"}, {Path: "/api/tech/health"}}
			},
			status:    event.StatusWarn,
			runbookID: runbook.LBHealthPathMismatch,
			inMsg:     []string{"the load balancer checks /health; omdeploy verifies /healthz and /api/tech/health"},
			wantExit:  failure.ExitOK,
		},
		{
			name: "health path not declared fails with --strict",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.HealthCheckPath = aws.String("/health") })
			},
			strict:    true,
			status:    event.StatusWarn,
			runbookID: runbook.LBHealthPathMismatch,
			inMsg:     []string{"checks /health; omdeploy verifies /healthz", "answers 404"},
			wantExit:  failure.ExitPreflight,
		},
		{
			name: "declared path under the base URL's prefix",
			breakIt: func(_ *world, f *fakeELB, s *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.HealthCheckPath = aws.String("/api/healthz") })
				s.Health.BaseURL += "/api"
			},
			status:   event.StatusPass,
			wantExit: failure.ExitOK,
		},
		{
			name: "matcher wider than expect_status",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.Matcher = &elbtypes.Matcher{HttpCode: aws.String("200-399")} })
			},
			status:    event.StatusWarn,
			runbookID: runbook.LBMatcherMismatch,
			inMsg:     []string{"the load balancer accepts 200-399 on /healthz; omdeploy expects any 2xx"},
			wantExit:  failure.ExitOK,
		},
		{
			name: "matcher with a code expect_status lacks",
			breakIt: func(_ *world, f *fakeELB, s *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.Matcher = &elbtypes.Matcher{HttpCode: aws.String("200,302")} })
				s.Health.Endpoints[0].ExpectStatus = []int{200, 204}
			},
			status:    event.StatusWarn,
			runbookID: runbook.LBMatcherMismatch,
			inMsg:     []string{"accepts 200,302 on /healthz; omdeploy expects 200,204"},
			wantExit:  failure.ExitOK,
		},
		{
			name: "matcher within expect_status",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.Matcher = &elbtypes.Matcher{HttpCode: aws.String("200,204")} })
			},
			status:   event.StatusPass,
			wantExit: failure.ExitOK,
		},
		{
			name: "declared health path that 404s is a phantom route",
			breakIt: func(_ *world, f *fakeELB, s *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) { g.HealthCheckPath = aws.String("/health") })
				s.Health.Endpoints = []config.Endpoint{{Path: "/health"}}
			},
			status:    event.StatusWarn,
			runbookID: runbook.HealthPhantomRoute,
			inMsg:     []string{"its health check path answers 404", "/health"},
			wantExit:  failure.ExitOK,
		},
		{
			name: "TCP health check has no path to compare",
			breakIt: func(_ *world, f *fakeELB, _ *config.Service) {
				setTG(f, func(g *elbtypes.TargetGroup) {
					g.HealthCheckProtocol, g.HealthCheckPath, g.Matcher = elbtypes.ProtocolEnumTcp, nil, nil
				})
			},
			status:   event.StatusPass,
			wantExit: failure.ExitOK,
		},
		{
			name:      "an ELB error is reported with its kind's fix",
			breakIt:   func(_ *world, f *fakeELB, _ *config.Service) { f.err = apiErr("AccessDenied") },
			status:    event.StatusFail,
			runbookID: runbook.AWSAccessDenied,
			inMsg:     []string{"describe target group tech-tg (us-east-1)", "AccessDenied"},
			wantExit:  failure.ExitPreflight,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, f := lbWorld()
			checks, err := runWorld(t, w, func(o *Options) {
				o.AWS.ELBv2 = f
				o.Strict = tt.strict
				o.Config.Services[0].Health.BaseURL = srv.URL
				tt.breakIt(w, f, &o.Config.Services[0])
			})
			c := find(t, checks, IDLBTargetGroups, testService)
			expect(t, c, tt.status, tt.runbookID, tt.inMsg...)
			if c.Status != event.StatusPass && c.Fix == "" {
				t.Errorf("%s has no fix", c.Status)
			}
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Errorf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
		})
	}
}

// TestTargetGroupsNoClient: without an ELBv2 client the check says so
// rather than passing what it never looked at.
func TestTargetGroupsNoClient(t *testing.T) {
	t.Parallel()
	w, _ := lbWorld()
	checks, _ := runWorld(t, w, nil)
	expect(t, find(t, checks, IDLBTargetGroups, testService), event.StatusSkip, "", "no Elastic Load Balancing client")
}

// TestTargetGroupsIAM: a service behind a load balancer has the
// elasticloadbalancing lookups simulated too.
func TestTargetGroupsIAM(t *testing.T) {
	t.Parallel()
	w, f := lbWorld()
	if _, err := runWorld(t, w, func(o *Options) { o.AWS.ELBv2 = f }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var simulated []string
	for _, in := range w.simInputs {
		simulated = append(simulated, in.ActionNames...)
	}
	// Named here, not read from lbActions, so that dropping one from the
	// list fails: the rollout follower reads target health and the
	// deregistration delay, blue/green's check the listener rules.
	for _, a := range append(slices.Clone(lbActions), "elasticloadbalancing:DescribeTargetHealth",
		"elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeRules") {
		if !slices.Contains(simulated, a) {
			t.Errorf("%s not simulated; simulated %s", a, strings.Join(simulated, ", "))
		}
	}
}
