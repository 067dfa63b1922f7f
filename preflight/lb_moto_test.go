package preflight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// TestMotoTargetGroups runs the checklist with the real ELBv2 client
// against a load balancer, listener and target group in moto, in front of
// a service created with that target group in its loadBalancers.
func TestMotoTargetGroups(t *testing.T) {
	t.Parallel()
	c := testenv.Moto(t)
	subnets, vpc := motoDefaultSubnets(t, c)
	tests := []struct {
		name       string
		targetType elbtypes.TargetTypeEnum
		port       int32 // the service's containerPort; the fixture's app maps 8080
		strict     bool
		wantExit   int
		status     string
		runbookID  string
		inMsg      []string
	}{
		{
			name: "health path not declared warns naming both paths", targetType: elbtypes.TargetTypeEnumIp, port: 8080,
			wantExit: failure.ExitOK, status: event.StatusWarn, runbookID: runbook.LBHealthPathMismatch,
			inMsg: []string{"the load balancer checks /health; omdeploy verifies /healthz"},
		},
		{
			name: "health path not declared fails with --strict", targetType: elbtypes.TargetTypeEnumIp, port: 8080, strict: true,
			wantExit: failure.ExitPreflight, status: event.StatusWarn, runbookID: runbook.LBHealthPathMismatch,
			inMsg: []string{"the load balancer checks /health; omdeploy verifies /healthz"},
		},
		{
			name: "container port the revision does not map", targetType: elbtypes.TargetTypeEnumIp, port: 9090,
			wantExit: failure.ExitPreflight, status: event.StatusFail, runbookID: runbook.LBContainerPortMissing,
			inMsg: []string{"container app of the new revision maps port(s) 8080, not 9090"},
		},
		{
			name: "instance target group for an awsvpc service", targetType: elbtypes.TargetTypeEnumInstance, port: 8080,
			wantExit: failure.ExitPreflight, status: event.StatusFail, runbookID: runbook.LBTargetTypeMismatch,
			inMsg: []string{"has target type instance, but awsvpc tasks register as ip"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testenv.Ctx(t)
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			tgARN := motoTargetGroup(t, c, subnets, vpc, tt.targetType)
			svc := testenv.Unique("lbsvc")
			if _, err := c.ECS.CreateService(ctx, &ecs.CreateServiceInput{
				Cluster: aws.String(f.Cluster), ServiceName: aws.String(svc), TaskDefinition: aws.String(f.TaskDefinition),
				DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
				LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(tt.port)}},
			}); err != nil {
				t.Fatalf("create service: %v", err)
			}
			g := hermeticGit(t)
			opts := Options{Config: testConfig(t, g), Clients: c, git: g, Strict: tt.strict}
			opts.Config.Services[0].Cluster, opts.Config.Services[0].Service = f.Cluster, svc
			checks, err := Run(ctx, opts)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Errorf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			expect(t, find(t, checks, IDLBTargetGroups, testService), tt.status, tt.runbookID, tt.inMsg...)
			// Preflight registers nothing, whatever it found.
			revs, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(f.Family)})
			if err != nil {
				t.Fatal(err)
			}
			if len(revs.TaskDefinitionArns) != 1 {
				t.Errorf("task definitions of %s after preflight: %v, want only revision 1", f.Family, revs.TaskDefinitionArns)
			}
		})
	}
}

// motoTargetGroup creates an ALB in subnets with an HTTP listener whose
// default action forwards to a new target group of targetType checking
// /health, and returns the target group's ARN.
func motoTargetGroup(t *testing.T, c *awsx.Clients, subnets []string, vpc string, targetType elbtypes.TargetTypeEnum) string {
	t.Helper()
	ctx := testenv.Ctx(t)
	// ELBv2 names are at most 32 characters.
	name := func(p string) string { n := testenv.Unique(p); return n[:min(len(n), 32)] }
	lb, err := c.ELBv2.CreateLoadBalancer(ctx, &elasticloadbalancingv2.CreateLoadBalancerInput{Name: aws.String(name("lb")), Subnets: subnets})
	if err != nil {
		t.Fatalf("create load balancer: %v", err)
	}
	tg, err := c.ELBv2.CreateTargetGroup(ctx, &elasticloadbalancingv2.CreateTargetGroupInput{
		Name: aws.String(name("tg")), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(vpc),
		TargetType: targetType, HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: aws.String("/health"),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")},
	})
	if err != nil {
		t.Fatalf("create target group: %v", err)
	}
	tgARN := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := c.ELBv2.CreateListener(ctx, &elasticloadbalancingv2.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}},
	}); err != nil {
		t.Fatalf("create listener: %v", err)
	}
	return tgARN
}

// motoDefaultSubnets returns two default subnets (in different zones, as
// an ALB needs) of moto's default VPC, and the VPC. The project has no EC2
// client (the SDK's EC2 module is large, for one test lookup), so this is
// a signed EC2 query call by hand.
func motoDefaultSubnets(t *testing.T, c *awsx.Clients) ([]string, string) {
	t.Helper()
	ctx := testenv.Ctx(t)
	form := url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"default-for-az"}, "Filter.1.Value.1": {"true"}}.Encode()
	body, err := signedQuery(ctx, c, testenv.MotoEndpoint(t), "ec2", form)
	if err != nil {
		t.Fatalf("ec2 DescribeSubnets: %v", err)
	}
	var out struct {
		Subnets []struct {
			ID   string `xml:"subnetId"`
			VPC  string `xml:"vpcId"`
			Zone string `xml:"availabilityZone"`
		} `xml:"subnetSet>item"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		t.Fatalf("ec2 DescribeSubnets answer: %v", err)
	}
	var ids []string
	zones := map[string]bool{}
	vpc := ""
	for _, s := range out.Subnets {
		if zones[s.Zone] || (vpc != "" && s.VPC != vpc) {
			continue
		}
		zones[s.Zone], vpc = true, s.VPC
		ids = append(ids, s.ID)
		if len(ids) == 2 {
			return ids, vpc
		}
	}
	t.Fatalf("moto has no two default subnets in different zones: %s", body)
	return nil, ""
}

// signedQuery POSTs an AWS query-protocol form to endpoint, signed with
// the clients' credentials for service, and returns the answer's body.
func signedQuery(ctx context.Context, c *awsx.Clients, endpoint, service, form string) ([]byte, error) {
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(form))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, c.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, body)
	}
	return body, nil
}
