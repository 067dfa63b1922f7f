package preflight

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestSecretsExist(t *testing.T) {
	t.Parallel()
	const euSecret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:eu/key-XyZ123"
	tests := []struct {
		name        string
		secrets     []string // valueFrom of the app container; "/tech/db-url" stays
		breakIt     func(*world)
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
		wantCalls   []string // DescribeSecret: "region secretId"
	}{
		{
			name: "exists, AWSCURRENT by default", secrets: []string{testSecret},
			wantStatus: event.StatusPass, wantInMsg: []string{"all 1 Secrets Manager secret(s) of task definition tech:7 exist", "values not read"},
			wantCalls: []string{"us-east-1 " + testSecret},
		},
		{
			name: "json key and stage forms, one call per secret", secrets: []string{testSecret + ":password::", testSecret + "::AWSPREVIOUS:", testSecret + ":::v-1"},
			wantStatus: event.StatusPass, wantCalls: []string{"us-east-1 " + testSecret},
		},
		{
			name: "asked in the ARN's region", secrets: []string{euSecret},
			breakIt: func(w *world) {
				w.art.secrets[euSecret] = &secretsmanager.DescribeSecretOutput{VersionIdsToStages: map[string][]string{"a": {"AWSCURRENT"}}}
			},
			wantStatus: event.StatusPass, wantCalls: []string{"eu-west-1 " + euSecret},
		},
		{
			name: "missing", secrets: []string{testSecret, euSecret},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretMissing,
			wantInMsg: []string{"secret " + euSecret + " not found in eu-west-1", "(1 of 2 Secrets Manager secret(s)"},
		},
		{
			name: "scheduled for deletion", secrets: []string{testSecret},
			breakIt: func(w *world) {
				w.art.secrets[testSecret].DeletedDate = aws.Time(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC))
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretDeleted, wantInMsg: []string{"is scheduled for deletion on 2026-12-08"},
		},
		{
			name: "version stage missing", secrets: []string{testSecret + "::AWSPENDING:"},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretVersionMissing, wantInMsg: []string{"has no version in stage AWSPENDING"},
		},
		{
			name: "version id missing", secrets: []string{testSecret + ":::v-9"},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretVersionMissing, wantInMsg: []string{"has no version id v-9"},
		},
		{
			name: "version id not in the named stage", secrets: []string{testSecret + "::AWSCURRENT:v-0"},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretVersionMissing, wantInMsg: []string{"version id v-0 is not in stage AWSCURRENT (its stages: AWSPREVIOUS)"},
		},
		{
			name: "no version in AWSCURRENT (a secret never given a value)", secrets: []string{testSecret},
			breakIt:    func(w *world) { w.art.secrets[testSecret].VersionIdsToStages = nil },
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretVersionMissing, wantInMsg: []string{"has no version in stage AWSCURRENT"},
		},
		{
			name: "malformed reference", secrets: []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:x:a:b:c:d"},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretMissing, wantInMsg: []string{"has 4 fields after the name"},
		},
		{
			name: "DescribeSecret denied cannot tell: warn", secrets: []string{testSecret},
			breakIt:    func(w *world) { w.art.smErr = apiErr("AccessDeniedException") },
			wantStatus: event.StatusWarn, wantRunbook: runbook.AWSAccessDenied, wantInMsg: []string{"could not check secret " + testSecret},
		},
		{
			name: "no Secrets Manager reference", wantStatus: event.StatusPass, wantInMsg: []string{"references no Secrets Manager secret"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			setSecrets(w, append([]string{"/tech/db-url"}, tt.secrets...)...)
			if tt.breakIt != nil {
				tt.breakIt(w)
			}
			checks, _ := runWorld(t, w, nil)
			expect(t, find(t, checks, IDSecretsExist, testService), tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			if _, calls := w.art.calls(); tt.wantCalls != nil && !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("DescribeSecret calls = %q, want %q", calls, tt.wantCalls)
			}
		})
	}
}

func TestSecretsExistInConfig(t *testing.T) {
	t.Parallel()
	w := newWorld()
	checks, _ := runWorld(t, w, func(o *Options) { o.Config.SSMParameters = []string{"/shared/api-key", testSecret + ":token::"} })
	expect(t, find(t, checks, IDSecretsExist, ""), event.StatusPass, "", "of the config's ssm_parameters exist")
	expect(t, find(t, checks, IDSSMParameters, ""), event.StatusPass, "", "1 Secrets Manager secret(s) checked by secrets.exist")
}

// The interface preflight declares has no way to read a value.
func TestSecretsManagerAPIHasNoGetSecretValue(t *testing.T) {
	t.Parallel()
	ty := reflect.TypeFor[SecretsManagerAPI]()
	var methods []string
	for i := range ty.NumMethod() {
		methods = append(methods, ty.Method(i).Name)
	}
	if !slices.Equal(methods, []string{"DescribeSecret"}) {
		t.Fatalf("SecretsManagerAPI has %v; want DescribeSecret only", methods)
	}
}

// TestSecretsWithSDKClient runs secrets.exist through the real SDK client
// against an httptest server speaking Secrets Manager's JSON 1.1 protocol,
// and counts the operations it was sent: DescribeSecret only, never
// GetSecretValue, and nothing the server held that looks like a value
// reaches the check.
func TestSecretsWithSDKClient(t *testing.T) {
	t.Parallel()
	const value = "hunter2-do-not-print"
	var mu sync.Mutex
	ops := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
		mu.Lock()
		ops[op]++
		mu.Unlock()
		var in struct{ SecretId string }
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch {
		case op == "GetSecretValue":
			_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "SecretString": value})
		case op == "DescribeSecret" && in.SecretId == testSecret:
			_ = json.NewEncoder(w).Encode(map[string]any{
				"ARN": testSecret, "Name": "tech/db-AbCdEf", "Description": value,
				"VersionIdsToStages": map[string][]string{"v-1": {"AWSCURRENT"}},
			})
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`)
		}
	}))
	t.Cleanup(srv.Close)
	clients := awsx.New(aws.Config{Region: testRegion, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}, awsx.Options{RegionSource: awsx.RegionFromFlag, EndpointURL: srv.URL})

	w := newWorld()
	const gone = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf"
	setSecrets(w, testSecret+":password::", gone)
	apis := w.apis()
	apis.SecretsIn = FromClients(clients).SecretsIn
	g := hermeticGit(t)
	checks, _ := Run(context.Background(), Options{Config: testConfig(t, g), AWS: apis, Registry: w.art, git: g})
	c := find(t, checks, IDSecretsExist, testService)
	expect(t, c, event.StatusFail, runbook.SecretMissing, "secret "+gone+" not found in us-east-1")
	for _, ch := range checks {
		if strings.Contains(ch.Message+ch.Fix, value) {
			t.Fatalf("check %s shows what the server held: %q", ch.ID, ch.Message)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if ops["GetSecretValue"] != 0 || ops["DescribeSecret"] != 2 || len(ops) != 1 {
		t.Fatalf("operations sent = %v, want DescribeSecret twice and nothing else", ops)
	}
}
