package preflight

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
)

// Hand-written fakes with func fields, one per interface.

type fakeSTS struct {
	GetCallerIdentityFunc func(context.Context, *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error)
}

func (f *fakeSTS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f.GetCallerIdentityFunc(ctx, in)
}

type fakeIAM struct {
	GetRoleFunc                 func(context.Context, *iam.GetRoleInput) (*iam.GetRoleOutput, error)
	SimulatePrincipalPolicyFunc func(context.Context, *iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error)
}

func (f *fakeIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return f.GetRoleFunc(ctx, in)
}

func (f *fakeIAM) SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return f.SimulatePrincipalPolicyFunc(ctx, in)
}

type fakeECS struct {
	DescribeClustersFunc       func(context.Context, *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error)
	DescribeServicesFunc       func(context.Context, *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinitionFunc func(context.Context, *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error)
}

func (f *fakeECS) DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	return f.DescribeClustersFunc(ctx, in)
}

func (f *fakeECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return f.DescribeServicesFunc(ctx, in)
}

func (f *fakeECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return f.DescribeTaskDefinitionFunc(ctx, in)
}

type fakeSSM struct {
	GetParametersFunc func(context.Context, *ssm.GetParametersInput) (*ssm.GetParametersOutput, error)
}

func (f *fakeSSM) GetParameters(ctx context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	return f.GetParametersFunc(ctx, in)
}

type fakeLogs struct {
	DescribeLogGroupsFunc func(context.Context, *cloudwatchlogs.DescribeLogGroupsInput) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

func (f *fakeLogs) DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	return f.DescribeLogGroupsFunc(ctx, in)
}

var (
	_ STSAPI  = (*fakeSTS)(nil)
	_ IAMAPI  = (*fakeIAM)(nil)
	_ ECSAPI  = (*fakeECS)(nil)
	_ SSMAPI  = (*fakeSSM)(nil)
	_ LogsAPI = (*fakeLogs)(nil)
)

func apiErr(code string) error {
	return fmt.Errorf("operation error: %w", &smithy.GenericAPIError{Code: code, Message: code + " from the fake"})
}

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testCluster = "prod"
	testService = "tech-gateway"
	testRoleARN = "arn:aws:iam::123456789012:role/deploy/deployer"
	testTaskARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/tech:7"
)

// world is a healthy account in memory that each test breaks in one way.
// Its fields are read by the fakes while checks run, so tests set them
// before Run.
type world struct {
	callerARN string
	stsErr    error
	credsErr  error

	getRoleErr error
	simErr     error
	denied     map[string]bool // "action resource" pairs IAM denies

	ecsErr        error
	clusterStatus string // "" : missing
	service       *ecstypes.Service
	taskDef       *ecstypes.TaskDefinition
	params        map[string][]string // region -> names or ARNs that exist
	ssmErr        error
	logGroups     map[string][]string // region -> groups

	art *artifacts // ECR, other registries, Secrets Manager

	mu        sync.Mutex
	ssmCalls  []ssmCall
	simInputs []*iam.SimulatePrincipalPolicyInput
	logCalls  int // DescribeLogGroups
}

type ssmCall struct {
	region  string
	names   []string
	decrypt bool
}

func newWorld() *world {
	return &world{
		callerARN:     "arn:aws:sts::123456789012:assumed-role/deployer/alice",
		denied:        map[string]bool{},
		clusterStatus: "ACTIVE",
		service: &ecstypes.Service{
			ServiceName:    aws.String(testService),
			ServiceArn:     aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/tech-gateway"),
			Status:         aws.String("ACTIVE"),
			TaskDefinition: aws.String(testTaskARN),
			DesiredCount:   2, RunningCount: 2,
			Deployments: []ecstypes.Deployment{{
				Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"), RolloutState: ecstypes.DeploymentRolloutStateCompleted,
				TaskDefinition: aws.String(testTaskARN), DesiredCount: 2, RunningCount: 2,
			}},
		},
		taskDef: &ecstypes.TaskDefinition{
			TaskDefinitionArn: aws.String(testTaskARN),
			TaskRoleArn:       aws.String("arn:aws:iam::123456789012:role/app-task"),
			ExecutionRoleArn:  aws.String("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{
				{
					Name:    aws.String("app"),
					Image:   aws.String(testGHCRImage),
					Secrets: []ecstypes.Secret{{Name: aws.String("DB_URL"), ValueFrom: aws.String("/tech/db-url")}},
					LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
						"awslogs-group": "/ecs/tech", "awslogs-region": testRegion, "awslogs-stream-prefix": "ecs",
					}},
				},
				{Name: aws.String("envoy"), Image: aws.String(testSidecar)},
			},
		},
		params:    map[string][]string{testRegion: {"/tech/db-url", "/shared/api-key"}},
		logGroups: map[string][]string{testRegion: {"/ecs/tech", "/ecs/tech-old"}},
		art:       newArtifacts(),
	}
}

func (w *world) apis() *AWSAPIs {
	return &AWSAPIs{
		Region: testRegion, RegionSource: awsx.RegionFromFlag, Profile: "prod",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			if w.credsErr != nil {
				return aws.Credentials{}, w.credsErr
			}
			return aws.Credentials{AccessKeyID: "AKIAFAKE", SecretAccessKey: "fake", Source: "FakeProvider"}, nil
		}),
		STS: &fakeSTS{GetCallerIdentityFunc: func(context.Context, *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error) {
			if w.stsErr != nil {
				return nil, w.stsErr
			}
			return &sts.GetCallerIdentityOutput{Account: aws.String(testAccount), Arn: aws.String(w.callerARN)}, nil
		}},
		IAM: &fakeIAM{
			GetRoleFunc: func(_ context.Context, in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
				if w.getRoleErr != nil {
					return nil, w.getRoleErr
				}
				if aws.ToString(in.RoleName) != "deployer" {
					return nil, apiErr("NoSuchEntity")
				}
				return &iam.GetRoleOutput{Role: &iamtypes.Role{Arn: aws.String(testRoleARN)}}, nil
			},
			SimulatePrincipalPolicyFunc: w.simulate,
		},
		ECS: &fakeECS{
			DescribeClustersFunc: func(_ context.Context, in *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error) {
				if w.ecsErr != nil {
					return nil, w.ecsErr
				}
				if w.clusterStatus == "" {
					return &ecs.DescribeClustersOutput{Failures: []ecstypes.Failure{{Reason: aws.String("MISSING")}}}, nil
				}
				return &ecs.DescribeClustersOutput{Clusters: []ecstypes.Cluster{{
					ClusterName: aws.String(in.Clusters[0]), Status: aws.String(w.clusterStatus),
					ClusterArn: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/" + in.Clusters[0]),
				}}}, nil
			},
			DescribeServicesFunc: func(context.Context, *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
				if w.ecsErr != nil {
					return nil, w.ecsErr
				}
				if w.clusterStatus == "" {
					return nil, apiErr("ClusterNotFoundException")
				}
				if w.service == nil {
					return &ecs.DescribeServicesOutput{Failures: []ecstypes.Failure{{Reason: aws.String("MISSING")}}}, nil
				}
				return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{*w.service}}, nil
			},
			DescribeTaskDefinitionFunc: func(context.Context, *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
				return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: w.taskDef}, nil
			},
		},
		SSMIn: func(region string) SSMAPI {
			return &fakeSSM{GetParametersFunc: func(_ context.Context, in *ssm.GetParametersInput) (*ssm.GetParametersOutput, error) {
				w.mu.Lock()
				w.ssmCalls = append(w.ssmCalls, ssmCall{region: region, names: in.Names, decrypt: aws.ToBool(in.WithDecryption)})
				w.mu.Unlock()
				if w.ssmErr != nil {
					return nil, w.ssmErr
				}
				out := &ssm.GetParametersOutput{}
				for _, n := range in.Names {
					if !slices.Contains(w.params[region], n) {
						out.InvalidParameters = append(out.InvalidParameters, n)
					}
				}
				return out, nil
			}}
		},
		ECRIn:     w.art.ecrIn,
		SecretsIn: w.art.secretsIn,
		LogsIn: func(region string) LogsAPI {
			return &fakeLogs{DescribeLogGroupsFunc: func(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
				w.mu.Lock()
				w.logCalls++
				w.mu.Unlock()
				out := &cloudwatchlogs.DescribeLogGroupsOutput{}
				for _, g := range w.logGroups[region] {
					if strings.HasPrefix(g, aws.ToString(in.LogGroupNamePrefix)) {
						out.LogGroups = append(out.LogGroups, logstypes.LogGroup{LogGroupName: aws.String(g)})
					}
				}
				return out, nil
			}}
		},
	}
}

// simulate allows every action on every resource except w.denied, and
// answers the way IAM does for several resources: one result per action,
// with a result per resource.
func (w *world) simulate(_ context.Context, in *iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
	w.mu.Lock()
	w.simInputs = append(w.simInputs, in)
	w.mu.Unlock()
	if w.simErr != nil {
		return nil, w.simErr
	}
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		res := iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalDecision: iamtypes.PolicyEvaluationDecisionTypeAllowed}
		for _, r := range in.ResourceArns {
			d := iamtypes.PolicyEvaluationDecisionTypeAllowed
			if w.denied[a+" "+r] {
				d = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
				res.EvalDecision = d
			}
			res.ResourceSpecificResults = append(res.ResourceSpecificResults, iamtypes.ResourceSpecificResult{
				EvalResourceName: aws.String(r), EvalResourceDecision: d,
			})
		}
		out.EvaluationResults = append(out.EvaluationResults, res)
	}
	return out, nil
}

func (w *world) calls() []ssmCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.ssmCalls)
}

// testConfig is one service with a health endpoint on a server that
// answers 200, in a config file inside a fresh git repo that ignores
// .secrets/.
func testConfig(t *testing.T, g gitRunner) *config.File {
	t.Helper()
	dir := gitRepo(t, g)
	writeFile(t, dir, ".gitignore", ".secrets/\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(srv.Close)
	return &config.File{
		Path:      filepath.Join(dir, "omdeploy.yaml"),
		Region:    testRegion,
		AccountID: testAccount,
		Secrets:   []string{config.DefaultSecretsPath},
		Services: []config.Service{{
			Name: testService, Cluster: testCluster, Service: testService,
			Health: &config.Health{BaseURL: srv.URL, Endpoints: []config.Endpoint{{Path: "/healthz"}}},
		}},
	}
}

// hermeticGit runs git with a temporary HOME and global config, so neither
// the machine's ~/.gitconfig nor its global excludes decide a test, and
// tests can run in parallel (no t.Setenv).
func hermeticGit(t *testing.T) gitRunner {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for these tests: %v", err)
	}
	home := t.TempDir()
	global := filepath.Join(home, "gitconfig")
	writeFile(t, home, "gitconfig", "[user]\n\tname = omdeploy test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n")
	return gitRunner{env: []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + home,
		"GIT_CONFIG_GLOBAL=" + global,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CEILING_DIRECTORIES=" + filepath.Dir(home),
	}}
}

// gitRepo makes a fresh work tree.
func gitRepo(t *testing.T, g gitRunner) string {
	t.Helper()
	dir := t.TempDir()
	gitDo(t, g, dir, "init", "-q")
	return dir
}

func gitDo(t *testing.T, g gitRunner, dir string, args ...string) {
	t.Helper()
	if _, err := g.run(context.Background(), dir, args...); err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// unfilled matches a runbook placeholder a check forgot to fill.
var unfilled = regexp.MustCompile(`\{[a-z_]+\}`)

// find returns the check with id for service, failing the test when absent.
func find(t *testing.T, checks []Check, id, service string) Check {
	t.Helper()
	for _, c := range checks {
		if c.ID == id && c.Service == service {
			if ph := unfilled.FindString(c.Fix); ph != "" {
				t.Errorf("%s fix leaves %s unfilled: %q", id, ph, c.Fix)
			}
			return c
		}
	}
	t.Fatalf("no check %s for %q in %+v", id, service, checks)
	return Check{}
}

// expect fails the test unless c has status and runbookID and its message
// holds every one of inMsg.
func expect(t *testing.T, c Check, status, runbookID string, inMsg ...string) {
	t.Helper()
	if c.Status != status || c.RunbookID != runbookID {
		t.Fatalf("%s = %+v, want %s %q", c.ID, c, status, runbookID)
	}
	for _, s := range inMsg {
		if !strings.Contains(c.Message, s) {
			t.Errorf("%s message %q lacks %q", c.ID, c.Message, s)
		}
	}
}
