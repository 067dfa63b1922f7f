package deploy_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// The wire-format test: an httptest server speaks ECS's JSON 1.1 protocol
// (X-Amz-Target AmazonEC2ContainerServiceV20141113.<Operation>, content
// type application/x-amz-json-1.1) with bodies written from the API
// reference, so the real SDK client serialises the requests and
// deserialises the service deployments, as it will against AWS, which
// moto cannot stand in for.

const (
	wireCluster = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	wireService = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	wireSD      = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/Ab3kX9LnQpZ"
	wireRev1    = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"
	wireRev2    = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2"
	wireSrcRev  = "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/api/1111"
	wireTgtRev  = "arn:aws:ecs:us-east-1:123456789012:service-revision/prod/api/2222"
	wireTarget  = "AmazonEC2ContainerServiceV20141113."
	wireCreated = 1767225600.123 // 2026-01-01T00:00:00.123Z, epoch seconds as the protocol sends timestamps
)

// wireServiceBody is a Service as DescribeServices and UpdateService answer.
func wireServiceBody(taskDef, deployments string) string {
	return fmt.Sprintf(`{
  "serviceArn": %q, "serviceName": "api", "clusterArn": %q, "status": "ACTIVE",
  "taskDefinition": %q, "desiredCount": 2, "runningCount": 2, "pendingCount": 0, "launchType": "FARGATE",
  "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "maximumPercent": 200, "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": true, "rollback": true},
    "alarms": {"alarmNames": ["api-5xx"], "enable": true, "rollback": true}},
  "deploymentController": {"type": "ECS"},
  "currentServiceDeployment": %q,
  "deployments": [%s],
  "events": [{"id": "e1", "createdAt": %v, "message": "(service api) has started 2 tasks: (task 1) (task 2)."}],
  "createdAt": %v
}`, wireService, wireCluster, taskDef, wireSD, deployments, wireCreated, wireCreated)
}

func wireDeployment(id, status, taskDef, state string) string {
	return fmt.Sprintf(`{"id": %q, "status": %q, "taskDefinition": %q, "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
  "failedTasks": 0, "rolloutState": %q, "createdAt": %v, "updatedAt": %v, "launchType": "FARGATE"}`, id, status, taskDef, state, wireCreated, wireCreated)
}

// wireSDBody is a ServiceDeployment of the blue/green rollout: status,
// stage, the new revision's production and test traffic, and the monitors.
func wireSDBody(status, stage string, prod, test float64, alarmStatus, triggered, rollback string) string {
	return fmt.Sprintf(`{
  "serviceDeploymentArn": %q, "serviceArn": %q, "clusterArn": %q,
  "createdAt": %v, "startedAt": %v, "updatedAt": %v,
  "sourceServiceRevisions": [{"arn": %q, "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0,
    "requestedProductionTrafficWeight": %v, "requestedTestTrafficWeight": %v}],
  "targetServiceRevision": {"arn": %q, "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0,
    "requestedProductionTrafficWeight": %v, "requestedTestTrafficWeight": %v},
  "status": %q, "statusReason": "Service deployment %s.", "lifecycleStage": %q,
  "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
    "deploymentCircuitBreaker": {"enable": true, "rollback": true},
    "alarms": {"alarmNames": ["api-5xx"], "enable": true, "rollback": true}},
  "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 0, "threshold": 3},
  "alarms": {"status": %q, "alarmNames": ["api-5xx"], "triggeredAlarmNames": [%s]}%s
}`, wireSD, wireService, wireCluster, wireCreated, wireCreated, wireCreated,
		wireSrcRev, 100-prod, 100-test, wireTgtRev, prod, test,
		status, strings.ToLower(status), stage, alarmStatus, triggered, rollback)
}

// wireUnreadable in wireECS.sds answers DescribeServiceDeployments with a
// server error.
const wireUnreadable = "unreadable"

// wireECS is the fake endpoint. It answers DescribeServiceDeployments from
// sds, one body per call (the last repeats), and records every request.
type wireECS struct {
	t   *testing.T
	sds []string
	// after answers DescribeServiceDeployments once a StopServiceDeployment
	// or ContinueServiceDeployment came, by "Operation ACTION" (e.g.
	// "StopServiceDeployment ROLLBACK"); lostWrites answers those writes
	// with a 500 after applying them, an answer lost on its way back.
	after      map[string][]string
	lostWrites bool

	mu       sync.Mutex
	targets  []string
	sdBodies []string         // DescribeServiceDeployments request bodies
	writes   []map[string]any // StopServiceDeployment and ContinueServiceDeployment requests, decoded
	calls    int
	bodies   map[string][]string // request bodies of the other reads, by operation
}

func (w *wireECS) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" || !strings.HasPrefix(target, wireTarget) {
		w.t.Errorf("request %s with content type %q: not ECS's JSON 1.1 protocol", target, ct)
	}
	op := strings.TrimPrefix(target, wireTarget)
	w.mu.Lock()
	w.targets = append(w.targets, op)
	var out string
	switch op {
	case "DescribeServices":
		out = `{"services": [` + wireServiceBody(wireRev1, wireDeployment("ecs-svc/1", "PRIMARY", wireRev1, "COMPLETED")) + `], "failures": []}`
	case "DescribeTaskDefinition":
		out = `{"taskDefinition": {"taskDefinitionArn": "` + wireRev1 + `", "family": "api", "revision": 1, "status": "ACTIVE",
  "containerDefinitions": [{"name": "app", "image": "repo/api:v1", "essential": true, "memory": 512}],
  "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"}, "tags": []}`
	case "RegisterTaskDefinition":
		out = `{"taskDefinition": {"taskDefinitionArn": "` + wireRev2 + `", "family": "api", "revision": 2, "status": "ACTIVE",
  "containerDefinitions": [{"name": "app", "image": "repo/api:v2", "essential": true, "memory": 512}]}}`
	case "UpdateService":
		out = `{"service": ` + wireServiceBody(wireRev2, wireDeployment("ecs-svc/2", "PRIMARY", wireRev2, "IN_PROGRESS")+", "+
			wireDeployment("ecs-svc/1", "ACTIVE", wireRev1, "COMPLETED")) + `}`
	case "DescribeServiceDeployments":
		w.sdBodies = append(w.sdBodies, string(body))
		sd := w.sds[min(w.calls, len(w.sds)-1)]
		w.calls++
		if sd == wireUnreadable {
			w.mu.Unlock()
			rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
			rw.WriteHeader(http.StatusInternalServerError)
			io.WriteString(rw, `{"__type": "ServerException", "message": "unreadable"}`)
			return
		}
		out = `{"serviceDeployments": [` + sd + `], "failures": []}`
	case "ListTasks":
		out = `{"taskArns": []}`
	case "StopServiceDeployment", "ContinueServiceDeployment":
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			w.t.Errorf("%s request body %s: %v", op, body, err)
		}
		w.writes = append(w.writes, in)
		action, _ := in["stopType"].(string)
		if a, ok := in["action"].(string); ok {
			action = a
		}
		if next, ok := w.after[op+" "+action]; ok {
			w.sds, w.calls = next, 0
		}
		if w.lostWrites {
			w.mu.Unlock()
			rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
			rw.WriteHeader(http.StatusInternalServerError)
			io.WriteString(rw, `{"__type": "ServerException", "message": "the answer was lost"}`)
			return
		}
		out = `{"serviceDeploymentArn": "` + wireSD + `"}`
	case "ListServiceDeployments":
		w.record(op, body)
		out = fmt.Sprintf(`{"serviceDeployments": [{"serviceDeploymentArn": %q, "serviceArn": %q, "clusterArn": %q,
  "startedAt": %v, "createdAt": %v, "finishedAt": %v, "targetServiceRevisionArn": %q,
  "status": "ROLLBACK_SUCCESSFUL", "statusReason": "Service deployment rolled back."}]}`,
			wireSD, wireService, wireCluster, wireCreated, wireCreated, wireCreated+300, wireTgtRev)
	case "DescribeServiceRevisions":
		w.record(op, body)
		rev := func(arn, td string) string {
			return fmt.Sprintf(`{"serviceRevisionArn": %q, "serviceArn": %q, "clusterArn": %q, "taskDefinition": %q, "createdAt": %v,
  "launchType": "FARGATE", "containerImages": [{"containerName": "app", "imageDigest": "sha256:0123", "image": "repo/api:v1"}]}`,
				arn, wireService, wireCluster, td, wireCreated)
		}
		out = `{"serviceRevisions": [` + rev(wireSrcRev, wireRev1) + ", " + rev(wireTgtRev, wireRev2) + `], "failures": []}`
	default:
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
		rw.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(rw, `{"__type": "UnknownOperationException", "message": "%s"}`, op)
		return
	}
	w.mu.Unlock()
	if !json.Valid([]byte(out)) {
		w.t.Errorf("%s: the test's answer is not JSON:\n%s", op, out)
	}
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.Header().Set("X-Amzn-Requestid", "wire-"+op)
	io.WriteString(rw, out)
}

// record keeps a request body of op. w.mu is held.
func (w *wireECS) record(op string, body []byte) {
	if w.bodies == nil {
		w.bodies = map[string][]string{}
	}
	w.bodies[op] = append(w.bodies[op], string(body))
}

// wireClient is the real SDK client pointed at the fake endpoint.
func wireClient(t *testing.T, fake *wireECS) *ecs.Client {
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return ecs.NewFromConfig(aws.Config{
		Region: "us-east-1", HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWIRE", "SECRET", ""),
	}, func(o *ecs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// TestHistoryWireFormat reads a history through the real SDK client: the
// requests it sends, and the service deployment, its rollback and its
// revisions' task definitions read off the wire.
func TestHistoryWireFormat(t *testing.T) {
	rollback := `, "rollback": {"reason": "Service deployment rolled back because alarm api-5xx went into ALARM state.",
    "startedAt": 1767225660, "serviceRevisionArn": "` + wireSrcRev + `"}, "finishedAt": 1767225900.5`
	fake := &wireECS{t: t, sds: []string{wireSDBody("ROLLBACK_SUCCESSFUL", "CLEAN_UP", 0, 0, "TRIGGERED", `"api-5xx"`, rollback)}}
	hist, err := deploy.History(t.Context(), deploy.Options{
		Services: []config.Service{{Name: "api", Cluster: "prod", Service: "api"}},
		ECS:      wireClient(t, fake), Region: "us-east-1", Limit: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Source != "service_deployments" || len(hist[0].Deployments) != 1 {
		t.Fatalf("history = %+v", hist)
	}
	e := hist[0].Deployments[0]
	started := time.Unix(1767225600, 123e6).UTC()
	if e.ARN != wireSD || e.Status != "ROLLBACK_SUCCESSFUL" || e.Strategy != "BLUE_GREEN" ||
		e.SourceTaskDefinition != wireRev1 || e.TargetTaskDefinition != wireRev2 ||
		!strings.Contains(e.Reason, "alarm api-5xx went into ALARM") || !slices.Equal(e.TriggeredAlarms, []string{"api-5xx"}) ||
		!e.StartedAt.Equal(started) || e.FinishedAt == nil || !e.FinishedAt.Equal(time.Unix(1767225900, 5e8)) {
		t.Errorf("entry %+v", e)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	want := map[string][]string{
		"ListServiceDeployments":   {`{"cluster":"prod","maxResults":5,"service":"api"}`},
		"DescribeServiceRevisions": {`{"serviceRevisionArns":["` + wireTgtRev + `","` + wireSrcRev + `"]}`},
	}
	for op, bodies := range want {
		if !slices.Equal(fake.bodies[op], bodies) {
			t.Errorf("%s request bodies %q, want %q", op, fake.bodies[op], bodies)
		}
	}
	if !slices.Equal(fake.sdBodies, []string{`{"serviceDeploymentArns":["` + wireSD + `"]}`}) {
		t.Errorf("DescribeServiceDeployments request bodies %q", fake.sdBodies)
	}
}

func TestServiceDeploymentWireFormat(t *testing.T) {
	inProgress := []string{
		wireSDBody("IN_PROGRESS", "SCALE_UP", 0, 0, "MONITORING", "", ""),
		wireSDBody("IN_PROGRESS", "TEST_TRAFFIC_SHIFT", 0, 100, "MONITORING", "", ""),
		wireSDBody("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 50, 100, "MONITORING", "", ""),
	}
	rollback := `, "rollback": {"reason": "Service deployment rolled back because alarm api-5xx went into ALARM state.",
    "startedAt": 1767225660, "serviceRevisionArn": "` + wireSrcRev + `"}`
	tests := []struct {
		name           string
		sds            []string
		wantExit       int
		wantStatus     string
		wantStage      string
		wantAlarms     []string
		wantRolledBack bool
		wantInError    string
	}{
		{
			name:       "SUCCESSFUL",
			sds:        append(slices.Clone(inProgress), wireSDBody("SUCCESSFUL", "CLEAN_UP", 100, 100, "MONITORING_COMPLETE", "", "")),
			wantStatus: "SUCCESSFUL", wantStage: "CLEAN_UP",
		},
		{
			name: "ROLLBACK_SUCCESSFUL",
			sds: append(slices.Clone(inProgress),
				wireSDBody("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 0, 0, "TRIGGERED", `"api-5xx"`, rollback),
				wireSDBody("ROLLBACK_SUCCESSFUL", "CLEAN_UP", 0, 0, "TRIGGERED", `"api-5xx"`, rollback)),
			wantExit: failure.ExitRollout, wantStatus: "ROLLBACK_SUCCESSFUL", wantStage: "CLEAN_UP",
			wantAlarms: []string{"api-5xx"}, wantRolledBack: true, wantInError: "rolled back by ECS: Service deployment rolled back because alarm api-5xx went into ALARM state.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &wireECS{t: t, sds: tt.sds}
			client := wireClient(t, fake)
			rec := &event.Recorder{}
			res, err := deploy.Deploy(t.Context(), deploy.Options{
				Services: []config.Service{{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: time.Minute}},
				ECS:      client, Region: "us-east-1", Tag: "v2", Reporter: rec,
				Poll: deploy.PollPolicy{Interval: 5 * time.Millisecond, Jitter: -1},
			})
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Fatalf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			if tt.wantInError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantInError)) {
				t.Errorf("error %v, want %q", err, tt.wantInError)
			}
			if tt.wantExit != 0 && failure.RunbookIDOf(err) != runbook.RolloutAlarm {
				t.Errorf("runbook %q, want %s", failure.RunbookIDOf(err), runbook.RolloutAlarm)
			}
			sr := res.Services[0]
			if sr.ServiceDeploymentARN != wireSD || sr.Strategy != "BLUE_GREEN" || sr.Status != tt.wantStatus ||
				sr.LifecycleStage != tt.wantStage || !slices.Equal(sr.TriggeredAlarms, tt.wantAlarms) || sr.RolledBack != tt.wantRolledBack {
				t.Errorf("result %+v", sr)
			}
			if tt.wantRolledBack && !strings.Contains(sr.RollbackReason, "api-5xx") {
				t.Errorf("rollback_reason %q", sr.RollbackReason)
			}
			// The SDK read the traffic weights and timestamps off the wire.
			var weights []string
			for _, p := range event.Of[event.ServiceDeploymentProgress](rec.Events()) {
				if p.ProductionWeight != nil && p.TestWeight != nil {
					weights = append(weights, fmt.Sprintf("%v/%v", *p.ProductionWeight, *p.TestWeight))
				}
			}
			if want := []string{"0/0", "0/100", "50/100"}; len(weights) < 3 || !slices.Equal(weights[:3], want) {
				t.Errorf("production/test weights %v, want %v first", weights, want)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			for _, b := range fake.sdBodies {
				if b != `{"serviceDeploymentArns":["`+wireSD+`"]}` {
					t.Errorf("DescribeServiceDeployments request body %s", b)
				}
			}
			if n := strings.Count(strings.Join(fake.targets, " "), "UpdateService"); n != 1 {
				t.Errorf("UpdateService called %d times (%v): ECS's rollback must not be repeated", n, fake.targets)
			}
		})
	}
}

// TestServiceDeploymentWritesWireFormat: omdeploy's own writes on a
// service deployment through the real SDK client: StopServiceDeployment
// (ROLLBACK) when the wait for a deployment in flight runs out, and
// ContinueServiceDeployment (CONTINUE or ROLLBACK) at a gated blue/green
// hook; the request bodies are checked field by field, and an answer lost
// on its way back (500) is read back before anything is decided.
func TestServiceDeploymentWritesWireFormat(t *testing.T) {
	hook := `, "lifecycleHookDetails": [{"hookId": "hook-1", "status": "AWAITING_ACTION", "targetType": "PAUSE",
    "expiresAt": 1767229200, "timeoutAction": "ROLLBACK"}]`
	released := func(status string) string {
		return `, "lifecycleHookDetails": [{"hookId": "hook-1", "status": "` + status + `", "targetType": "PAUSE"}]`
	}
	rollback := `, "rollback": {"reason": "Service deployment rolled back by request.", "startedAt": 1767225660, "serviceRevisionArn": "` + wireSrcRev + `"}`
	rolledBack := []string{
		wireSDBody("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 0, 0, "MONITORING", "", rollback),
		wireSDBody("ROLLBACK_SUCCESSFUL", "CLEAN_UP", 0, 0, "MONITORING_COMPLETE", "", rollback),
	}
	paused := []string{wireSDBody("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", 0, 100, "MONITORING", "", hook)}
	tests := []struct {
		name       string
		sds        []string
		after      map[string][]string
		lost       bool
		testStatus int // the test listener's answer; 0: not gated
		wait       time.Duration

		wantExit   int
		wantWrite  map[string]any // the fields of every write request
		wantStatus string
		wantBack   bool
	}{
		{
			name: "StopServiceDeployment ROLLBACK when the wait runs out", wait: 300 * time.Millisecond,
			sds:        []string{wireSDBody("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 50, 100, "MONITORING", "", "")},
			after:      map[string][]string{"StopServiceDeployment ROLLBACK": rolledBack},
			wantExit:   failure.ExitRollout,
			wantWrite:  map[string]any{"serviceDeploymentArn": wireSD, "stopType": "ROLLBACK"},
			wantStatus: "ROLLBACK_SUCCESSFUL", wantBack: true,
		},
		{
			name: "StopServiceDeployment's answer lost: read back, rolling back, followed", wait: 300 * time.Millisecond, lost: true,
			sds:        []string{wireSDBody("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 50, 100, "MONITORING", "", "")},
			after:      map[string][]string{"StopServiceDeployment ROLLBACK": rolledBack},
			wantExit:   failure.ExitRollout,
			wantWrite:  map[string]any{"serviceDeploymentArn": wireSD, "stopType": "ROLLBACK"},
			wantStatus: "ROLLBACK_SUCCESSFUL", wantBack: true,
		},
		{
			name: "StopServiceDeployment's answer lost and the read-back fails: unknown, exit 6", wait: 300 * time.Millisecond, lost: true,
			sds:        []string{wireSDBody("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 50, 100, "MONITORING", "", "")},
			after:      map[string][]string{"StopServiceDeployment ROLLBACK": {wireUnreadable}},
			wantExit:   failure.ExitRollback,
			wantWrite:  map[string]any{"serviceDeploymentArn": wireSD, "stopType": "ROLLBACK"},
			wantStatus: "IN_PROGRESS",
		},
		{
			name: "ContinueServiceDeployment CONTINUE at the gate", testStatus: http.StatusOK, sds: paused,
			after: map[string][]string{"ContinueServiceDeployment CONTINUE": {
				wireSDBody("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 100, 100, "MONITORING", "", released("SUCCEEDED")),
				wireSDBody("SUCCESSFUL", "CLEAN_UP", 100, 100, "MONITORING_COMPLETE", "", released("SUCCEEDED")),
			}},
			wantWrite:  map[string]any{"serviceDeploymentArn": wireSD, "hookId": "hook-1", "action": "CONTINUE"},
			wantStatus: "SUCCESSFUL",
		},
		{
			name: "ContinueServiceDeployment ROLLBACK at the gate, its answer lost", testStatus: http.StatusServiceUnavailable, sds: paused, lost: true,
			after: map[string][]string{"ContinueServiceDeployment ROLLBACK": {
				wireSDBody("ROLLBACK_IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", 0, 100, "MONITORING", "", released("FAILED")),
				wireSDBody("ROLLBACK_SUCCESSFUL", "CLEAN_UP", 0, 0, "MONITORING_COMPLETE", "", released("FAILED")),
			}},
			wantExit:   failure.ExitHealth,
			wantWrite:  map[string]any{"serviceDeploymentArn": wireSD, "hookId": "hook-1", "action": "ROLLBACK"},
			wantStatus: "ROLLBACK_SUCCESSFUL", wantBack: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &wireECS{t: t, sds: tt.sds, after: tt.after, lostWrites: tt.lost}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			client := ecs.NewFromConfig(aws.Config{
				Region: "us-east-1", HTTPClient: srv.Client(),
				Credentials: credentials.NewStaticCredentialsProvider("AKIDWIRE", "SECRET", ""),
			}, func(o *ecs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
			svc := config.Service{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: cmp.Or(tt.wait, time.Minute)}
			o := deploy.Options{
				Services: []config.Service{svc}, ECS: client, Region: "us-east-1", Tag: "v2",
				Poll: deploy.PollPolicy{Interval: 5 * time.Millisecond, Jitter: -1},
			}
			if tt.testStatus != 0 {
				listener, _ := healthServer(t, tt.testStatus)
				prod, _ := healthServer(t, http.StatusOK)
				o.Services[0].Health = &config.Health{BaseURL: prod.URL, TestBaseURL: listener.URL, Endpoints: []config.Endpoint{{Path: "/healthz"}}, Timeout: time.Second}
				o.Health = healthcheck.New(healthcheck.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
			}
			res, err := deploy.Deploy(t.Context(), o)
			if got := failure.ExitCode(err); got != tt.wantExit {
				t.Fatalf("exit = %d (%v), want %d", got, err, tt.wantExit)
			}
			sr := res.Services[0]
			if sr.Status != tt.wantStatus || sr.RolledBack != tt.wantBack {
				t.Errorf("status %q, rolled back %v; want %s, %v", sr.Status, sr.RolledBack, tt.wantStatus, tt.wantBack)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.writes) == 0 {
				t.Fatalf("no write reached the server (%v)", fake.targets)
			}
			for _, w := range fake.writes {
				if fmt.Sprint(w) != fmt.Sprint(tt.wantWrite) {
					t.Errorf("write request %v, want %v", w, tt.wantWrite)
				}
			}
			if n := strings.Count(strings.Join(fake.targets, " "), "UpdateService"); n != 1 {
				t.Errorf("UpdateService called %d times (%v): the rollback is ECS's, not a second update", n, fake.targets)
			}
		})
	}
}
