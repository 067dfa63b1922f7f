package motoenv

import (
	"cmp"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// Fixture is an ECS cluster with one service in moto.
type Fixture struct {
	Cluster        string
	Service        string
	Family         string
	LogGroup       string
	TaskDefinition string // ARN of revision 1
}

// FixtureOptions shape NewFixture.
type FixtureOptions struct {
	DesiredCount int32    // default 1 (moto reports 1 running: COMPLETED); more stays IN_PROGRESS
	Secrets      []string // SSM parameter names referenced by the container's secrets
	NoLogGroup   bool     // reference a log group that is not created
	// Controller is the service's deployment controller; empty: ECS's default.
	Controller ecstypes.DeploymentControllerType
	// AppImage and SidecarImage are the containers' images; empty:
	// repo/app:v1 and envoyproxy/envoy:v1.30 (on Docker Hub).
	AppImage, SidecarImage string
}

// NewFixture creates a cluster, a log group, a task definition with two
// containers (app and a sidecar, with environment, secrets, ports and
// awslogs) and a service, all with unique names.
func NewFixture(ctx context.Context, c *awsx.Clients, o FixtureOptions) (Fixture, error) {
	if o.DesiredCount == 0 {
		o.DesiredCount = 1
	}
	o.AppImage = cmp.Or(o.AppImage, "repo/app:v1")
	o.SidecarImage = cmp.Or(o.SidecarImage, "envoyproxy/envoy:v1.30")
	f := Fixture{Cluster: Unique("cl"), Service: Unique("svc"), Family: Unique("fam"), LogGroup: "/ecs/" + Unique("lg")}
	if _, err := c.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(f.Cluster)}); err != nil {
		return f, fmt.Errorf("create cluster: %w", err)
	}
	if !o.NoLogGroup {
		if _, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(f.LogGroup)}); err != nil {
			return f, fmt.Errorf("create log group: %w", err)
		}
	}
	var secrets []ecstypes.Secret
	for i, name := range o.Secrets {
		secrets = append(secrets, ecstypes.Secret{Name: aws.String("SECRET_" + string(rune('A'+i))), ValueFrom: aws.String(name)})
	}
	out, err := c.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(f.Family),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
		TaskRoleArn:             aws.String("arn:aws:iam::123456789012:role/app-task"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{
				Name:         aws.String("app"),
				Image:        aws.String(o.AppImage),
				Essential:    aws.Bool(true),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: ecstypes.TransportProtocolTcp}},
				Environment:  []ecstypes.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}},
				Secrets:      secrets,
				LogConfiguration: &ecstypes.LogConfiguration{
					LogDriver: ecstypes.LogDriverAwslogs,
					Options:   map[string]string{"awslogs-group": f.LogGroup, "awslogs-region": Region, "awslogs-stream-prefix": "ecs"},
				},
			},
			{
				Name:      aws.String("envoy"),
				Image:     aws.String(o.SidecarImage),
				Essential: aws.Bool(false),
			},
		},
	})
	if err != nil {
		return f, fmt.Errorf("register task definition: %w", err)
	}
	f.TaskDefinition = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	in := &ecs.CreateServiceInput{
		Cluster:        aws.String(f.Cluster),
		ServiceName:    aws.String(f.Service),
		TaskDefinition: aws.String(f.TaskDefinition),
		DesiredCount:   aws.Int32(o.DesiredCount),
		LaunchType:     ecstypes.LaunchTypeFargate,
	}
	if o.Controller != "" {
		in.DeploymentController = &ecstypes.DeploymentController{Type: o.Controller}
	}
	if _, err := c.ECS.CreateService(ctx, in); err != nil {
		return f, fmt.Errorf("create service: %w", err)
	}
	return f, nil
}

// PutParameter creates an SSM SecureString parameter in region.
func PutParameter(ctx context.Context, c *awsx.Clients, region, name string) error {
	if _, err := c.SSMIn(region).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String("s3cr3t-value"), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		return fmt.Errorf("put parameter %s: %w", name, err)
	}
	return nil
}
