package pipeline

import (
	"context"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/preflight"
)

// preflightECS is preflight's ECS client answering from the run's shared
// reads.
type preflightECS struct {
	preflight.ECSAPI
	c *readCache
}

func (p preflightECS) DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	if out, ok := p.c.describeClusters(ctx, in); ok {
		return out, nil
	}
	return p.ECSAPI.DescribeClusters(ctx, in, optFns...)
}

func (p preflightECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if out, ok := p.c.describeServices(ctx, in, false); ok {
		return out, nil
	}
	return p.ECSAPI.DescribeServices(ctx, in, optFns...)
}

func (p preflightECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	if out, ok, err := p.c.describeTaskDefinition(ctx, in); ok {
		return out, err
	}
	return p.ECSAPI.DescribeTaskDefinition(ctx, in, optFns...)
}

// engineECS is the engine's ECS client answering its first read of each
// service and its reads of revisions from the run's shared reads; every
// other call goes to ECS.
type engineECS struct {
	deploy.ECSAPI
	c *readCache
}

func (e *engineECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if out, ok := e.c.describeServices(ctx, in, true); ok {
		return out, nil
	}
	return e.ECSAPI.DescribeServices(ctx, in, optFns...)
}

func (e *engineECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	if out, ok, err := e.c.describeTaskDefinition(ctx, in); ok {
		return out, err
	}
	return e.ECSAPI.DescribeTaskDefinition(ctx, in, optFns...)
}

// UpdateService marks the service written before the call, so a read-back
// after an ambiguous answer reads ECS.
func (e *engineECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	e.c.written(aws.ToString(in.Cluster), aws.ToString(in.Service))
	return e.ECSAPI.UpdateService(ctx, in, optFns...)
}

// The engine asks its client for these optional interfaces by type
// assertion; the shared view keeps each one the client has, so sharing
// reads never turns a feature off.
type (
	engineECSSD struct {
		*engineECS
		deploy.ServiceDeploymentAPI
	}
	engineECSSDContinue struct {
		*engineECS
		deploy.ServiceDeploymentAPI
		deploy.ServiceDeploymentContinuer
	}
	// engineECSFull has every optional interface: the SDK client's and
	// the simulator's view.
	engineECSFull struct {
		*engineECS
		deploy.ServiceDeploymentAPI
		deploy.ServiceDeploymentContinuer
		deploy.ServiceDeploymentStopper
		deploy.ServiceRevisionAPI
	}
)

// engine is the engine's view of the cache over its client api.
func (c *readCache) engine(api deploy.ECSAPI) deploy.ECSAPI {
	e := &engineECS{ECSAPI: api, c: c}
	sd, ok := api.(deploy.ServiceDeploymentAPI)
	if !ok {
		return e
	}
	cont, ok := api.(deploy.ServiceDeploymentContinuer)
	if !ok {
		return engineECSSD{e, sd}
	}
	stop, ok := api.(deploy.ServiceDeploymentStopper)
	rev, ok2 := api.(deploy.ServiceRevisionAPI)
	if ok && ok2 {
		return engineECSFull{e, sd, cont, stop, rev}
	}
	return engineECSSDContinue{e, sd, cont}
}

// sharingReads returns opts whose ECS clients share one run's reads (see
// readCache), and the cache. Preflight shares them when its client is the
// engine's (a real run: one SDK client); a test that gives preflight its
// own fake keeps it apart.
func (o Options) sharingReads() (Options, *readCache) {
	if o.AWS.ECS == nil {
		return o, nil
	}
	services := o.Services
	if services == nil && o.Config != nil {
		services = o.Config.Services
	}
	var pre preflight.ECSAPI
	if o.AWS.Preflight != nil && sameClient(o.AWS.Preflight.ECS, o.AWS.ECS) {
		pre = o.AWS.Preflight.ECS
	}
	c := newReadCache(o.AWS.ECS, pre, o.Clock, services)
	if pre != nil {
		p := *o.AWS.Preflight
		p.ECS = preflightECS{ECSAPI: pre, c: c}
		o.AWS.Preflight = &p
	}
	o.AWS.ECS = c.engine(o.AWS.ECS)
	return o, c
}

// sameClient reports whether a and b are the same client value.
func sameClient(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}
