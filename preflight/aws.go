package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// STSAPI is the part of STS the identity checks call.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAMAPI is the part of IAM the permission check calls.
type IAMAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// ECSAPI is the part of ECS the cluster, service and task-definition
// lookups call.
type ECSAPI interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// SSMAPI is the part of SSM the parameter check calls. It never asks for
// decryption.
type SSMAPI interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// LogsAPI is the part of CloudWatch Logs the log-group check calls.
type LogsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

// ECRAPI is the part of ECR the images.exist check calls: the manifest an
// image reference names, and where its config blob can be read.
type ECRAPI interface {
	BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, optFns ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
	GetDownloadUrlForLayer(ctx context.Context, in *ecr.GetDownloadUrlForLayerInput, optFns ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error)
}

// SecretsManagerAPI is the part of Secrets Manager the secrets.exist check
// calls. It has no GetSecretValue, on purpose: existence is the question,
// and a value read is a value that can leak.
type SecretsManagerAPI interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

var (
	_ ECRAPI            = (*ecr.Client)(nil)
	_ SecretsManagerAPI = (*secretsmanager.Client)(nil)
	_ STSAPI            = (*sts.Client)(nil)
	_ IAMAPI            = (*iam.Client)(nil)
	_ ECSAPI            = (*ecs.Client)(nil)
	_ SSMAPI            = (*ssm.Client)(nil)
	_ LogsAPI           = (*cloudwatchlogs.Client)(nil)
	_ ELBv2API          = (*elasticloadbalancingv2.Client)(nil)
)

// AWSAPIs is everything the checklist asks of AWS, as interfaces so tests
// can script faults moto cannot (an expired token, a denied simulation).
// SSM parameters and log groups can live in other regions than the run's,
// hence the per-region constructors.
type AWSAPIs struct {
	Region       string // the run's region; "" fails aws.region
	RegionSource string // where Region came from (awsx.RegionFrom*)
	Profile      string // the named profile, for fixes; "" is the default chain
	// Endpoint is the endpoint override (an emulator), "" for AWS. With
	// one, images.exist asks no registry outside it: the run is against a
	// stand-in account, and its tests must not reach the internet.
	Endpoint string

	// Credentials, when set, is resolved first so that an SSO or profile
	// problem is reported as such rather than as a failed STS call.
	Credentials aws.CredentialsProvider

	STS    STSAPI
	IAM    IAMAPI
	ECS    ECSAPI
	SSMIn  func(region string) SSMAPI
	LogsIn func(region string) LogsAPI
	// ECRIn and SecretsIn reach an image's registry and a secret in the
	// region their names carry; nil skips images.exist's ECR lookups and
	// secrets.exist.
	ECRIn     func(region string) ECRAPI
	SecretsIn func(region string) SecretsManagerAPI
	// ELBv2 answers lb.target-groups; nil skips it.
	ELBv2 ELBv2API
	// Events describes the services' scheduled rules; nil skips
	// events.rules.
	Events EventsAPI
}

// FromClients adapts the run's SDK clients.
func FromClients(c *awsx.Clients) *AWSAPIs {
	return &AWSAPIs{
		Region:       c.Region,
		RegionSource: c.RegionSource,
		Profile:      c.Profile,
		Endpoint:     c.Endpoint(),
		Credentials:  c.Config.Credentials,
		STS:          c.STS,
		IAM:          awsx.NarrowIAM(c.IAM),
		ECS:          c.ECS,
		SSMIn:        func(region string) SSMAPI { return awsx.NarrowSSM(c.SSMIn(region)) },
		LogsIn:       func(region string) LogsAPI { return awsx.NarrowLogs(c.LogsIn(region)) },
		ECRIn:        func(region string) ECRAPI { return awsx.NarrowECR(c.ECRIn(region)) },
		SecretsIn:    func(region string) SecretsManagerAPI { return awsx.NarrowSecretsManager(c.SecretsManagerIn(region)) },
		ELBv2:        awsx.NarrowELBv2(c.ELBv2),
		Events:       awsx.NarrowEventBridge(c.EventBridge()),
	}
}
