package awsx

import (
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// ECRIn returns the ECR client for region, building it once. An image lives
// in its registry's region, which need not be the run's.
func (c *Clients) ECRIn(region string) *ecr.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.ecrIn[region]; ok {
		return cl
	}
	if c.ecrIn == nil {
		c.ecrIn = map[string]*ecr.Client{}
	}
	cl := ecr.NewFromConfig(c.Config, func(o *ecr.Options) { o.Region = region; c.override(&o.BaseEndpoint) })
	c.ecrIn[region] = cl
	return cl
}

// SecretsManagerIn returns the Secrets Manager client for region, building
// it once. A secret is read by ECS in the region its ARN names.
func (c *Clients) SecretsManagerIn(region string) *secretsmanager.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.smIn[region]; ok {
		return cl
	}
	if c.smIn == nil {
		c.smIn = map[string]*secretsmanager.Client{}
	}
	cl := secretsmanager.NewFromConfig(c.Config, func(o *secretsmanager.Options) { o.Region = region; c.override(&o.BaseEndpoint) })
	c.smIn[region] = cl
	return cl
}

// Endpoint is the endpoint override every client uses (an emulator such as
// moto or LocalStack), or "" when the clients talk to AWS.
func (c *Clients) Endpoint() string { return c.endpoint }
