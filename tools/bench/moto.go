package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/motoenv"
)

// motoFixture is a moto cluster whose services run revision 1 of one task
// definition with one task each: moto reports them COMPLETED at once.
type motoFixture struct {
	cluster  string
	services []string
}

// newMotoFixture creates a cluster, a log group, a task definition and n
// services, with unique names, directly in moto (not counted).
func newMotoFixture(ctx context.Context, c *awsx.Clients, n int) (motoFixture, error) {
	f := motoFixture{cluster: motoenv.Unique("bench")}
	group, family := "/ecs/"+f.cluster, f.cluster
	if _, err := c.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(f.cluster)}); err != nil {
		return f, fmt.Errorf("create cluster: %w", err)
	}
	if _, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		return f, fmt.Errorf("create log group: %w", err)
	}
	td, err := c.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"), Memory: aws.String("512"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("repo/app:v1"), Essential: aws.Bool(true),
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": group, "awslogs-region": motoenv.Region, "awslogs-stream-prefix": "ecs",
			}},
		}},
	})
	if err != nil {
		return f, fmt.Errorf("register task definition: %w", err)
	}
	for i := range n {
		name := fmt.Sprintf("svc-%02d", i)
		if _, err := c.ECS.CreateService(ctx, &ecs.CreateServiceInput{
			Cluster: aws.String(f.cluster), ServiceName: aws.String(name), TaskDefinition: td.TaskDefinition.TaskDefinitionArn,
			DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
		}); err != nil {
			return f, fmt.Errorf("create service %s: %w", name, err)
		}
		f.services = append(f.services, name)
	}
	return f, nil
}

// MotoCalls is the API calls of one deploy against moto, counted by the
// proxy in front of it.
type MotoCalls struct {
	Scenario string
	OK       bool
	Calls    map[string]int
	Wall     time.Duration
}

// MotoDeploy deploys a new image to one moto service that is stable at once
// with deploy.Deploy and the real SDK clients pointed at a counting proxy.
func MotoDeploy(ctx context.Context, motoURL string) (MotoCalls, error) {
	res := MotoCalls{Scenario: "stable at once (moto: 1 task, COMPLETED at once)"}
	f, err := newMotoFixture(ctx, motoenv.Clients(motoURL), 1)
	if err != nil {
		return res, err
	}
	p, err := StartProxy(motoURL)
	if err != nil {
		return res, err
	}
	defer p.Close()
	c := motoenv.Clients(p.URL)
	start := time.Now()
	_, err = deploy.Deploy(ctx, deploy.Options{
		Services: []config.Service{{Name: f.services[0], Cluster: f.cluster, Service: f.services[0], Container: "app", WaitTimeout: time.Minute}},
		Image:    "repo/app:v2",
		ECS:      c.ECS,
		Logs:     func(region string) deploy.LogsAPI { return c.LogsIn(region) },
		Region:   c.Region,
	})
	res.Wall, res.OK, res.Calls = time.Since(start), err == nil, p.Counts()
	if err != nil {
		return res, fmt.Errorf("deploy against moto: %w", err)
	}
	return res, nil
}
