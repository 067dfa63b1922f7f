package release_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/release"
)

// ecsServer speaks ECS's JSON 1.1 wire format for the calls a release task
// makes. Like AWS, it starts one task per clientToken; it drops the
// connection of the first RunTask after starting the task, as when the
// answer is lost on the way back.
type ecsServer struct {
	mu       sync.Mutex
	tokens   []string          // clientToken of every RunTask request
	started  map[string]string // clientToken -> task ARN
	runCalls int
}

const wireTaskDef = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"

func (s *ecsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.")
	var in map[string]any
	body, _ := io.ReadAll(r.Body)
	if !ok || json.Unmarshal(body, &in) != nil {
		http.Error(w, `{"__type":"InvalidRequest"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out any
	switch op {
	case "DescribeTaskDefinition":
		out = map[string]any{"taskDefinition": map[string]any{
			"taskDefinitionArn": wireTaskDef, "family": "api", "revision": 8, "networkMode": "awsvpc",
			"containerDefinitions": []any{map[string]any{"name": "app", "image": "repo/api:v2", "essential": true}},
		}}
	case "RunTask":
		tok, _ := in["clientToken"].(string)
		s.tokens = append(s.tokens, tok)
		s.runCalls++
		if _, seen := s.started[tok]; !seen {
			s.started[tok] = fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/prod/%032d", len(s.started)+1)
		}
		if s.runCalls == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		out = map[string]any{"tasks": []any{map[string]any{"taskArn": s.started[tok], "taskDefinitionArn": wireTaskDef, "lastStatus": "PROVISIONING"}}, "failures": []any{}}
	case "DescribeTasks":
		arns, _ := in["tasks"].([]any)
		arn, _ := arns[0].(string)
		out = map[string]any{"tasks": []any{map[string]any{
			"taskArn": arn, "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
			"containers": []any{map[string]any{"name": "app", "exitCode": 0, "lastStatus": "STOPPED"}},
		}}, "failures": []any{}}
	default:
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// TestRunTaskRetriedAfterDroppedConnectionStartsOneTask: through the real
// SDK client, a RunTask whose connection drops is retried by the SDK with
// the same clientToken, so ECS starts the migration once.
func TestRunTaskRetriedAfterDroppedConnectionStartsOneTask(t *testing.T) {
	srv := &ecsServer{started: map[string]string{}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client := ecs.New(ecs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		}),
	})
	svc := config.Service{Name: "api", Cluster: "prod", Service: "api"}
	task := config.Task{Name: "migrate", Command: []string{"migrate"}, LaunchType: "FARGATE", Timeout: time.Minute,
		Network: &config.Network{Subnets: []string{"subnet-1"}}}
	opts := release.Options{ECS: client, RunID: "run-1", Poll: time.Millisecond}
	if _, err := release.Run(t.Context(), opts, release.PhaseRelease, svc, task, wireTaskDef); err != nil {
		t.Fatalf("Run: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.runCalls != 2 {
		t.Fatalf("RunTask requests = %d, want 2 (the dropped one and the SDK's retry)", srv.runCalls)
	}
	if len(srv.started) != 1 {
		t.Fatalf("tasks started = %d, want 1", len(srv.started))
	}
	want := release.ClientToken("run-1", release.PhaseRelease, "api", "migrate")
	if srv.tokens[0] == "" || srv.tokens[0] != srv.tokens[1] || srv.tokens[0] != want {
		t.Fatalf("clientTokens %q, want twice %q", srv.tokens, want)
	}
}
