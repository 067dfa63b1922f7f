package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// The ELBv2 wire test: an httptest server speaks the ELBv2 query protocol
// (a form-encoded POST with Action and Version, answered in XML) with
// bodies written from the API reference, so the real SDK client
// serialises DescribeTargetHealth and DescribeTargetGroupAttributes and
// deserialises an unhealthy reason, as it will against AWS; moto keeps
// every target healthy or unused.

const (
	wireTG   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/6d0ecf831eec9f09"
	elbXMLNS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// wireTargetHealth answers DescribeTargetHealth: a new task's target
// failing with a 404, one healthy, and an old one draining.
const wireTargetHealth = `<DescribeTargetHealthResponse xmlns="` + elbXMLNS + `">
  <DescribeTargetHealthResult>
    <TargetHealthDescriptions>
      <member>
        <HealthCheckPort>8080</HealthCheckPort>
        <TargetHealth>
          <State>unhealthy</State>
          <Reason>Target.ResponseCodeMismatch</Reason>
          <Description>Health checks failed with these codes: [404]</Description>
        </TargetHealth>
        <Target><Port>8080</Port><Id>10.0.2.7</Id><AvailabilityZone>us-east-1a</AvailabilityZone></Target>
      </member>
      <member>
        <HealthCheckPort>8080</HealthCheckPort>
        <TargetHealth><State>healthy</State></TargetHealth>
        <Target><Port>8080</Port><Id>10.0.2.8</Id><AvailabilityZone>us-east-1b</AvailabilityZone></Target>
      </member>
      <member>
        <HealthCheckPort>8080</HealthCheckPort>
        <TargetHealth>
          <State>draining</State>
          <Reason>Target.DeregistrationInProgress</Reason>
          <Description>Target deregistration is in progress</Description>
        </TargetHealth>
        <Target><Port>8080</Port><Id>10.0.1.3</Id><AvailabilityZone>us-east-1a</AvailabilityZone></Target>
      </member>
    </TargetHealthDescriptions>
  </DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>`

const wireTGAttributes = `<DescribeTargetGroupAttributesResponse xmlns="` + elbXMLNS + `">
  <DescribeTargetGroupAttributesResult>
    <Attributes>
      <member><Value>false</Value><Key>stickiness.enabled</Key></member>
      <member><Value>300</Value><Key>deregistration_delay.timeout_seconds</Key></member>
      <member><Value>round_robin</Value><Key>load_balancing.algorithm.type</Key></member>
    </Attributes>
  </DescribeTargetGroupAttributesResult>
  <ResponseMetadata><RequestId>1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d</RequestId></ResponseMetadata>
</DescribeTargetGroupAttributesResponse>`

const wireAccessDenied = `<ErrorResponse xmlns="` + elbXMLNS + `">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: elasticloadbalancing:DescribeTargetHealth</Message>
  </Error>
  <RequestId>2b3c4d5e-6f7a-8b9c-0d1e-2f3a4b5c6d7e</RequestId>
</ErrorResponse>`

// elbWire is the fake ELBv2 endpoint: it answers by Action and records
// the forms it was sent.
type elbWire struct {
	mu     sync.Mutex
	forms  []url.Values
	denied bool
}

func (w *elbWire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.forms = append(w.forms, r.PostForm)
	denied := w.denied
	w.mu.Unlock()
	rw.Header().Set("Content-Type", "text/xml")
	switch action := r.PostForm.Get("Action"); {
	case denied:
		// ELBv2 sends the request ID as a header too; the SDK reads it there.
		rw.Header().Set("X-Amzn-Requestid", "2b3c4d5e-6f7a-8b9c-0d1e-2f3a4b5c6d7e")
		rw.WriteHeader(http.StatusForbidden)
		fmt.Fprint(rw, wireAccessDenied)
	case action == "DescribeTargetHealth":
		fmt.Fprint(rw, wireTargetHealth)
	case action == "DescribeTargetGroupAttributes":
		fmt.Fprint(rw, wireTGAttributes)
	default:
		http.Error(rw, "unexpected action "+action, http.StatusBadRequest)
	}
}

func wireELB(t *testing.T, w *elbWire) *elasticloadbalancingv2.Client {
	t.Helper()
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return elasticloadbalancingv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWIRE", "SECRET", ""),
	}, func(o *elasticloadbalancingv2.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 })
}

func TestELBWire(t *testing.T) {
	t.Parallel()
	t.Run("target health with an unhealthy reason and draining", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		w := &elbWire{}
		client := wireELB(t, w)
		want := map[string][]elbtypes.TargetDescription{wireTG: {
			{Id: aws.String("10.0.2.7"), Port: aws.Int32(8080)}, {Id: aws.String("10.0.2.8"), Port: aws.Int32(8080)},
		}}
		got, err := DescribeTargetProgress(ctx, client, want)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("progress = %+v", got)
		}
		got[0].DeregistrationDelaySeconds = int((&targetGroupDelays{}).get(ctx, client, wireTG) / time.Second)
		text := "1/2 targets healthy; 1 Target.ResponseCodeMismatch: health checks failed with these codes: [404]; 1 old target draining (deregistration delay 300 s)"
		if got[0].Text() != text {
			t.Errorf("progress = %q, want %q", got[0].Text(), text)
		}
		if got[0].Name != "web" {
			t.Errorf("name = %q, want web", got[0].Name)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.forms) != 2 {
			t.Fatalf("requests = %d, want 2", len(w.forms))
		}
		f := w.forms[0]
		if f.Get("Action") != "DescribeTargetHealth" || f.Get("Version") != "2015-12-01" || f.Get("TargetGroupArn") != wireTG {
			t.Errorf("DescribeTargetHealth form = %v", f)
		}
		if f.Has("Targets.member.1.Id") {
			t.Errorf("the form names targets (%v): one call should list the group's every target, draining ones too", f)
		}
		if g := w.forms[1]; g.Get("Action") != "DescribeTargetGroupAttributes" || g.Get("TargetGroupArn") != wireTG {
			t.Errorf("DescribeTargetGroupAttributes form = %v", g)
		}
	})
	t.Run("access denied is an AWS error the follower can name", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		client := wireELB(t, &elbWire{denied: true})
		_, err := DescribeTargetProgress(ctx, client, map[string][]elbtypes.TargetDescription{wireTG: {{Id: aws.String("10.0.2.7"), Port: aws.Int32(8080)}}})
		if awsx.Code(err) != "AccessDenied" || awsx.RequestID(err) != "2b3c4d5e-6f7a-8b9c-0d1e-2f3a4b5c6d7e" {
			t.Fatalf("err = %v (code %q, request id %q), want AccessDenied with its request id", err, awsx.Code(err), awsx.RequestID(err))
		}
		if d := (&targetGroupDelays{}).get(ctx, client, wireTG); d != 0 {
			t.Errorf("delay = %s after a failed read, want 0 (unknown)", d)
		}
	})
}
