package awsx_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/faultproxy"
)

// ecsServer answers ECS calls in the JSON 1.1 wire format and counts the
// calls that reached it, past the proxy.
type ecsServer struct {
	mu    sync.Mutex
	calls map[string]int
}

func (s *ecsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndex(op, ".")+1:]
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "UpdateService":
		fmt.Fprint(w, `{"service":{"serviceName":"api","deployments":[{"id":"ecs-svc/1","status":"PRIMARY"}]}}`)
	case "RegisterTaskDefinition":
		fmt.Fprint(w, `{"taskDefinition":{"family":"api","revision":2}}`)
	default:
		fmt.Fprint(w, `{"services":[],"failures":[]}`)
	}
}

func (s *ecsServer) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// clientThroughProxy is the real ECS client sending to an httptest server
// through a fault proxy, with short per-attempt deadlines.
func clientThroughProxy(t *testing.T, timeouts awsx.Timeouts) (*ecs.Client, *faultproxy.Proxy, *ecsServer) {
	t.Helper()
	srv := &ecsServer{calls: map[string]int{}}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	p, err := faultproxy.New(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	c := awsx.New(cfg, awsx.Options{EndpointURL: p.URL(), Timeouts: timeouts})
	return c.ECS, p, srv
}

func TestAttemptDeadlinesAndResends(t *testing.T) {
	describe := func(ctx context.Context, c *ecs.Client) error {
		_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
		return err
	}
	update := func(ctx context.Context, c *ecs.Client) error {
		_, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String("api:2")})
		return err
	}
	register := func(ctx context.Context, c *ecs.Client) error {
		_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("api"), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app")}}})
		return err
	}
	tests := []struct {
		name        string
		op          string
		rule        faultproxy.Rule
		call        func(context.Context, *ecs.Client) error
		wantErr     bool
		wantTimeout bool // an *awsx.AttemptTimeoutError
		wantProxied int  // calls that reached the proxy
		wantServed  int  // calls that reached the server
	}{
		{name: "hung read is cut per attempt and tried again", op: "DescribeServices",
			rule: faultproxy.Rule{Fault: faultproxy.Hang, Times: 1}, call: describe, wantProxied: 2, wantServed: 1},
		{name: "read hung on every attempt ends with the attempt deadline", op: "DescribeServices",
			rule: faultproxy.Rule{Fault: faultproxy.Hang}, call: describe, wantErr: true, wantTimeout: true, wantProxied: 3, wantServed: 0},
		{name: "hung write is cut and not re-sent", op: "UpdateService",
			rule: faultproxy.Rule{Fault: faultproxy.Hang, Forward: true}, call: update, wantErr: true, wantTimeout: true, wantProxied: 1, wantServed: 1},
		{name: "write dropped after forwarding is not re-sent", op: "RegisterTaskDefinition",
			rule: faultproxy.Rule{Fault: faultproxy.Drop, Times: 1}, call: register, wantErr: true, wantProxied: 1, wantServed: 1},
		{name: "dropped read is re-sent", op: "DescribeServices",
			rule: faultproxy.Rule{Fault: faultproxy.Drop, Times: 1}, call: describe, wantProxied: 2, wantServed: 2},
		{name: "throttled write is re-sent", op: "UpdateService",
			rule: faultproxy.Rule{Fault: faultproxy.Throttle, Times: 1}, call: update, wantProxied: 2, wantServed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, p, srv := clientThroughProxy(t, awsx.Timeouts{Read: 300 * time.Millisecond, Write: 300 * time.Millisecond})
			p.Set(tt.op, tt.rule)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err := tt.call(ctx, c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			var ate *awsx.AttemptTimeoutError
			if errors.As(err, &ate) != tt.wantTimeout {
				t.Fatalf("err = %v (%T), want an attempt timeout %v", err, err, tt.wantTimeout)
			}
			if err != nil && errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v: an attempt's deadline must not read as the caller's", err)
			}
			if err != nil && awsx.IsWrite(tt.op) && !awsx.Ambiguous(err) {
				t.Fatalf("err = %v: a write that reached the proxy and got no answer must be ambiguous", err)
			}
			if got := p.Calls(tt.op); got != tt.wantProxied {
				t.Fatalf("proxy saw %d calls, want %d", got, tt.wantProxied)
			}
			if got := srv.count(tt.op); got != tt.wantServed {
				t.Fatalf("server saw %d calls, want %d", got, tt.wantServed)
			}
		})
	}
}

// TestCallerDeadlineStaysTheCallers: when the caller's own context ends
// first, the error says so, and is not an attempt timeout.
func TestCallerDeadlineStaysTheCallers(t *testing.T) {
	c, p, _ := clientThroughProxy(t, awsx.Timeouts{Read: time.Minute})
	p.Set("DescribeServices", faultproxy.Rule{Fault: faultproxy.Hang})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Services: []string{"api"}})
	var ate *awsx.AttemptTimeoutError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ate) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
}

func TestAmbiguous(t *testing.T) {
	response := func(status int, code string) error {
		return &smithy.OperationError{ServiceID: "ECS", OperationName: "UpdateService", Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err: &smithy.GenericAPIError{Code: code}},
		}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"client exception", response(400, "ClientException"), false},
		{"invalid parameter", response(400, "InvalidParameterException"), false},
		{"access denied", response(400, "AccessDeniedException"), false},
		{"throttled", response(400, "ThrottlingException"), false},
		{"server exception", response(500, "ServerException"), true},
		{"dropped connection", &smithyhttp.RequestSendError{Err: errors.New("EOF")}, true},
		{"attempt timeout", &awsx.AttemptTimeoutError{Operation: "UpdateService", After: time.Second}, true},
		{"cancelled", &smithy.CanceledError{Err: context.Canceled}, true},
		{"never connected", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awsx.Ambiguous(tt.err); got != tt.want {
				t.Fatalf("Ambiguous(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsWrite(t *testing.T) {
	for op, want := range map[string]bool{
		"DescribeServices": false, "ListTaskDefinitions": false, "GetCallerIdentity": false, "SimulatePrincipalPolicy": false,
		"UpdateService": true, "RegisterTaskDefinition": true, "StopServiceDeployment": true, "RunTask": true,
	} {
		t.Run(op, func(t *testing.T) {
			if got := awsx.IsWrite(op); got != want {
				t.Fatalf("IsWrite(%s) = %v, want %v", op, got, want)
			}
		})
	}
}
