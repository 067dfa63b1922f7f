package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// shareFor is how long a service's description read for one stage may
// answer another's read: preflight's answer stands for the deploy's first
// read only while it is this fresh. Preflight takes a second or two.
const shareFor = 30 * time.Second

// Batch sizes of the ECS reads (the API's limits).
const (
	maxServicesPerCall = 10
	maxClustersPerCall = 100
)

// ecsReads are the ECS reads a run shares between its stages.
type ecsReads interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// clusterReader is the optional DescribeClusters of the client behind a
// readCache (preflight's client has it, the engine's need not).
type clusterReader interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
}

// readCache is one deploy run's shared ECS reads, so that a read several
// stages need costs one call: the run's services are described ten a call
// per cluster, once, and that answer serves preflight and the engine's
// first read of each service (its plan); every later read of a service
// (the polls, read-backs after a write) goes to ECS. Task definition
// revisions, which never change, are described once per run. Clusters are
// described in one call. A failed batch is not kept: each caller then makes
// its own call and meets its own error, as without the cache.
type readCache struct {
	api      ecsReads
	clusters clusterReader // nil: DescribeClusters is not shared
	clk      clock.Clock
	want     map[string][]string // cluster -> the run's services in it, config order
	order    []string            // the run's clusters, config order

	mu       sync.Mutex
	batches  map[string]*flight[map[string]serviceEntry] // by cluster
	taskDefs map[string]*flight[*ecs.DescribeTaskDefinitionOutput]
	clusterD map[string]*flight[map[string]clusterEntry] // one key: ""
	consumed map[string]bool                             // cluster+"\x00"+service: the engine's first read was served
}

// serviceEntry is one service's answer in a batch: the service, or the
// failure (MISSING) ECS gave for it.
type serviceEntry struct {
	at      time.Time
	service *ecstypes.Service
	failure *ecstypes.Failure
}

// flight is a value fetched once by the first caller while later callers
// wait for it; a failed fetch is forgotten so the next caller tries again.
type flight[T any] struct {
	done chan struct{}
	v    T
	err  error
}

func newReadCache(api ecsReads, clusters clusterReader, clk clock.Clock, services []config.Service) *readCache {
	c := &readCache{
		api: api, clusters: clusters, clk: clk, want: map[string][]string{},
		batches: map[string]*flight[map[string]serviceEntry]{}, taskDefs: map[string]*flight[*ecs.DescribeTaskDefinitionOutput]{},
		clusterD: map[string]*flight[map[string]clusterEntry]{}, consumed: map[string]bool{},
	}
	if c.clk == nil {
		c.clk = clock.Real{}
	}
	for _, s := range services {
		if _, ok := c.want[s.Cluster]; !ok {
			c.order = append(c.order, s.Cluster)
		}
		if !slices.Contains(c.want[s.Cluster], s.Service) {
			c.want[s.Cluster] = append(c.want[s.Cluster], s.Service)
		}
	}
	return c
}

// do runs fetch for key once, while later callers wait for it; a failed
// fetch is forgotten, so the next caller tries again. mu guards m.
func do[T any](ctx context.Context, mu *sync.Mutex, m map[string]*flight[T], key string, fetch func(context.Context) (T, error)) (T, error) {
	mu.Lock()
	f, ok := m[key]
	if !ok {
		f = &flight[T]{done: make(chan struct{})}
		m[key] = f
		mu.Unlock()
		f.v, f.err = fetch(ctx)
		if f.err != nil {
			mu.Lock()
			if m[key] == f {
				delete(m, key)
			}
			mu.Unlock()
		}
		close(f.done)
		return f.v, f.err
	}
	mu.Unlock()
	select {
	case <-f.done:
		return f.v, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// describeServices answers in from the cluster's batch when every service
// it names belongs to the run and, for the engine (consume), has not been
// read by it yet; ok is false when the caller must ask ECS itself.
func (c *readCache) describeServices(ctx context.Context, in *ecs.DescribeServicesInput, consume bool) (*ecs.DescribeServicesOutput, bool) {
	cluster := aws.ToString(in.Cluster)
	if len(in.Include) > 0 || len(in.Services) == 0 || !c.runs(cluster, in.Services) {
		return nil, false
	}
	if consume && c.anyConsumed(cluster, in.Services) {
		return nil, false
	}
	batch, err := do(ctx, &c.mu, c.batches, cluster, func(ctx context.Context) (map[string]serviceEntry, error) {
		return c.fetchBatch(ctx, cluster)
	})
	if err != nil {
		return nil, false
	}
	out := &ecs.DescribeServicesOutput{}
	now := c.clk.Now()
	for _, name := range in.Services {
		e, ok := batch[name]
		if !ok || now.Sub(e.at) > shareFor {
			return nil, false
		}
		if e.service != nil {
			out.Services = append(out.Services, cloneService(*e.service))
		} else if e.failure != nil {
			out.Failures = append(out.Failures, *e.failure)
		}
	}
	if consume {
		c.mu.Lock()
		for _, name := range in.Services {
			c.consumed[cluster+"\x00"+name] = true
		}
		c.mu.Unlock()
	}
	return out, true
}

func (c *readCache) runs(cluster string, services []string) bool {
	want := c.want[cluster]
	for _, s := range services {
		if !slices.Contains(want, s) {
			return false
		}
	}
	return true
}

func (c *readCache) anyConsumed(cluster string, services []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range services {
		if c.consumed[cluster+"\x00"+s] {
			return true
		}
	}
	return false
}

// written marks a service as changed by the run: no later read of it is
// answered from the batch.
func (c *readCache) written(cluster, service string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.consumed[cluster+"\x00"+service] = true
}

// forgetServices drops every service answer, e.g. after waiting for a
// deploy lock, when another run may have changed the services.
func (c *readCache) forgetServices() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.batches)
}

// fetchBatch describes the run's services of cluster, ten a call.
func (c *readCache) fetchBatch(ctx context.Context, cluster string) (map[string]serviceEntry, error) {
	names := c.want[cluster]
	batch := make(map[string]serviceEntry, len(names))
	for chunk := range slices.Chunk(names, maxServicesPerCall) {
		at := c.clk.Now()
		out, err := c.api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: chunk})
		if err != nil {
			return nil, err
		}
		for _, name := range chunk {
			e := serviceEntry{at: at}
			for i := range out.Services {
				if s := &out.Services[i]; aws.ToString(s.ServiceName) == name || aws.ToString(s.ServiceArn) == name {
					e.service = s
				}
			}
			for i := range out.Failures {
				if f := &out.Failures[i]; e.service == nil && (aws.ToString(f.Arn) == name || strings.HasSuffix(aws.ToString(f.Arn), "/"+name)) {
					e.failure = f
				}
			}
			if e.service == nil && e.failure == nil {
				// Neither described nor failed: let the caller ask.
				continue
			}
			batch[name] = e
		}
	}
	return batch, nil
}

// clusterEntry is one cluster's answer: the cluster or ECS's failure.
type clusterEntry struct {
	cluster *ecstypes.Cluster
	failure *ecstypes.Failure
}

// describeClusters answers a read of the run's clusters from one call that
// described all of them.
func (c *readCache) describeClusters(ctx context.Context, in *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, bool) {
	if c.clusters == nil || len(in.Include) > 0 || len(in.Clusters) == 0 {
		return nil, false
	}
	for _, name := range in.Clusters {
		if _, ok := c.want[name]; !ok {
			return nil, false
		}
	}
	all, err := do(ctx, &c.mu, c.clusterD, "", c.fetchClusters)
	if err != nil {
		return nil, false
	}
	out := &ecs.DescribeClustersOutput{}
	for _, name := range in.Clusters {
		e, ok := all[name]
		switch {
		case !ok:
			return nil, false
		case e.cluster != nil:
			cl := *e.cluster
			out.Clusters = append(out.Clusters, cl)
		default:
			out.Failures = append(out.Failures, *e.failure)
		}
	}
	return out, true
}

func (c *readCache) fetchClusters(ctx context.Context) (map[string]clusterEntry, error) {
	all := map[string]clusterEntry{}
	for chunk := range slices.Chunk(c.order, maxClustersPerCall) {
		out, err := c.clusters.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: chunk})
		if err != nil {
			return nil, err
		}
		for _, name := range chunk {
			var e clusterEntry
			for i := range out.Clusters {
				if cl := &out.Clusters[i]; aws.ToString(cl.ClusterName) == name || aws.ToString(cl.ClusterArn) == name {
					e.cluster = cl
				}
			}
			for i := range out.Failures {
				if f := &out.Failures[i]; e.cluster == nil && (aws.ToString(f.Arn) == name || strings.HasSuffix(aws.ToString(f.Arn), "/"+name)) {
					e.failure = f
				}
			}
			if e.cluster != nil || e.failure != nil {
				all[name] = e
			}
		}
	}
	return all, nil
}

// describeTaskDefinition answers a read of a numbered revision (which never
// changes) from the run's one read of it, made with its tags so that it
// serves readers who want them and readers who do not.
func (c *readCache) describeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, bool, error) {
	name := aws.ToString(in.TaskDefinition)
	if _, _, ok := taskdef.ParseRevision(name); !ok {
		return nil, false, nil
	}
	out, err := do(ctx, &c.mu, c.taskDefs, name, func(ctx context.Context) (*ecs.DescribeTaskDefinitionOutput, error) {
		return c.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
			TaskDefinition: in.TaskDefinition, Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
		})
	})
	if err != nil {
		if ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			// Another stage's context ended the shared read (preflight's
			// budget); this caller asks ECS itself.
			return nil, false, nil
		}
		return nil, true, err
	}
	cp := *out
	if out.TaskDefinition != nil {
		td := cloneTaskDef(*out.TaskDefinition)
		cp.TaskDefinition = &td
	}
	cp.Tags = nil
	if slices.Contains(in.Include, ecstypes.TaskDefinitionFieldTags) {
		cp.Tags = slices.Clone(out.Tags)
	}
	return &cp, true, nil
}

// cloneService copies what a reader might change in place.
func cloneService(s ecstypes.Service) ecstypes.Service {
	s.Deployments = slices.Clone(s.Deployments)
	s.LoadBalancers = slices.Clone(s.LoadBalancers)
	s.Events = slices.Clone(s.Events)
	s.TaskSets = slices.Clone(s.TaskSets)
	s.Tags = slices.Clone(s.Tags)
	return s
}

// cloneTaskDef copies what a plan might change in place: the containers.
func cloneTaskDef(td ecstypes.TaskDefinition) ecstypes.TaskDefinition {
	td.ContainerDefinitions = slices.Clone(td.ContainerDefinitions)
	td.Volumes = slices.Clone(td.Volumes)
	return td
}
