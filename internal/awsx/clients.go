// Package awsx builds the AWS SDK clients once per run (profile, region,
// endpoint override) and classifies AWS errors for the stages above it.
package awsx

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Options say how to reach AWS. Zero values defer to the SDK's own chain
// (AWS_PROFILE, AWS_REGION, ~/.aws/config, SSO, assume-role, IMDS), so
// omdeploy resolves credentials exactly as the aws CLI does.
type Options struct {
	Profile      string
	Region       string // explicit region; empty: the SDK's chain
	RegionSource string // where Region came from, for the aws.region check
	EndpointURL  string // overrides every service endpoint, e.g. an emulator

	// Timeouts bound each attempt of every call the clients make.
	Timeouts Timeouts

	// ResendWrites lets the SDK re-send a write whose answer was lost, as
	// it does by default. omdeploy's own runs never set it: they read the
	// outcome back instead of risking a second migration or revision. Test
	// fixtures against an emulator set it, since a lost answer there is
	// noise, not what the test is about.
	ResendWrites bool
}

// Region sources reported by the aws.region check.
const (
	RegionFromFlag    = "flag --region"
	RegionFromEnv     = "environment AWS_REGION"
	RegionFromConfig  = "config file"
	RegionFromProfile = "AWS profile or AWS_DEFAULT_REGION"
)

// Clients holds one client per AWS service for the run's region, and builds
// clients for other regions on demand (an SSM ARN in another region, an
// awslogs-region that differs), each once.
type Clients struct {
	Config       aws.Config
	Region       string
	RegionSource string
	Profile      string

	ECS  *ecs.Client
	SSM  *ssm.Client
	STS  *sts.Client
	IAM  *iam.Client
	Logs *cloudwatchlogs.Client
	// ELBv2 is in the run's region only: an ECS service's target groups
	// are always in its own region.
	ELBv2 *elasticloadbalancingv2.Client

	endpoint string
	mu       sync.Mutex
	ssmIn    map[string]*ssm.Client
	logsIn   map[string]*cloudwatchlogs.Client
	ecrIn    map[string]*ecr.Client            // see artifacts.go
	smIn     map[string]*secretsmanager.Client // see artifacts.go
}

// Load resolves the SDK config and builds the clients. It does not call AWS:
// a missing profile fails here, expired credentials fail at the first call,
// where preflight can say which.
func Load(ctx context.Context, opts Options) (*Clients, error) {
	var loaders []func(*config.LoadOptions) error
	if opts.Profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		loaders = append(loaders, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	if opts.Region == "" && cfg.Region != "" {
		opts.RegionSource = RegionFromProfile
	}
	return New(cfg, opts), nil
}

// New builds clients from an existing SDK config with opts' region source,
// profile name, endpoint and timeouts (the region is cfg's); tests use it
// to point the real clients at moto, a fault proxy or an httptest server.
func New(cfg aws.Config, opts Options) *Clients {
	// Every client of the run, in any region, gets the per-attempt deadlines.
	cfg = cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, addAttemptMiddleware(opts.Timeouts, opts.ResendWrites))
	c := &Clients{
		Config: cfg, Region: cfg.Region, RegionSource: opts.RegionSource, Profile: opts.Profile,
		endpoint: opts.EndpointURL,
		ssmIn:    map[string]*ssm.Client{},
		logsIn:   map[string]*cloudwatchlogs.Client{},
	}
	c.ECS = ecs.NewFromConfig(cfg, func(o *ecs.Options) { c.override(&o.BaseEndpoint) })
	c.STS = sts.NewFromConfig(cfg, func(o *sts.Options) { c.override(&o.BaseEndpoint) })
	c.IAM = iam.NewFromConfig(cfg, func(o *iam.Options) { c.override(&o.BaseEndpoint) })
	c.ELBv2 = elasticloadbalancingv2.NewFromConfig(cfg, func(o *elasticloadbalancingv2.Options) { c.override(&o.BaseEndpoint) })
	c.SSM = c.SSMIn(cfg.Region)
	c.Logs = c.LogsIn(cfg.Region)
	return c
}

func (c *Clients) override(base **string) {
	if c.endpoint != "" {
		*base = aws.String(c.endpoint)
	}
}

// SSMIn returns the SSM client for region, building it once.
func (c *Clients) SSMIn(region string) *ssm.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.ssmIn[region]; ok {
		return cl
	}
	cl := ssm.NewFromConfig(c.Config, func(o *ssm.Options) { o.Region = region; c.override(&o.BaseEndpoint) })
	c.ssmIn[region] = cl
	return cl
}

// LogsIn returns the CloudWatch Logs client for region, building it once.
func (c *Clients) LogsIn(region string) *cloudwatchlogs.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.logsIn[region]; ok {
		return cl
	}
	cl := cloudwatchlogs.NewFromConfig(c.Config, func(o *cloudwatchlogs.Options) { o.Region = region; c.override(&o.BaseEndpoint) })
	c.logsIn[region] = cl
	return cl
}
