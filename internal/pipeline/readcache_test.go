package pipeline

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/preflight"
)

// countingECS answers the reads from a fixed account and counts calls; it
// has neither service-deployment interface.
type countingECS struct {
	deploy.ECSAPI // nil: the other calls are not made here

	mu       sync.Mutex
	calls    map[string]int
	inputs   []*ecs.DescribeServicesInput
	failMany bool // DescribeServices naming several services fails
	tags     []ecstypes.Tag
}

func newCountingECS() *countingECS { return &countingECS{calls: map[string]int{}} }

func (f *countingECS) count(action string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[action]++
}

func (f *countingECS) n(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[action]
}

func (f *countingECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.count("DescribeServices")
	f.mu.Lock()
	f.inputs = append(f.inputs, in)
	f.mu.Unlock()
	if f.failMany && len(in.Services) > 1 {
		return nil, errors.New("AccessDeniedException: not on all of them")
	}
	out := &ecs.DescribeServicesOutput{}
	for _, s := range in.Services {
		if s == "gone" {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/" + aws.ToString(in.Cluster) + "/gone"), Reason: aws.String("MISSING")})
			continue
		}
		out.Services = append(out.Services, ecstypes.Service{
			ServiceName: aws.String(s), Status: aws.String("ACTIVE"), TaskDefinition: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/app:3"),
			Deployments: []ecstypes.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY")}},
		})
	}
	return out, nil
}

func (f *countingECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.count("DescribeTaskDefinition")
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{
		TaskDefinitionArn:    in.TaskDefinition,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("repo/app:v1")}},
	}}
	if slices.Contains(in.Include, ecstypes.TaskDefinitionFieldTags) {
		out.Tags = f.tags
	}
	return out, nil
}

func (f *countingECS) DescribeClusters(_ context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	f.count("DescribeClusters")
	out := &ecs.DescribeClustersOutput{}
	for _, c := range in.Clusters {
		if c == "nowhere" {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/nowhere"), Reason: aws.String("MISSING")})
			continue
		}
		out.Clusters = append(out.Clusters, ecstypes.Cluster{ClusterName: aws.String(c), Status: aws.String("ACTIVE")})
	}
	return out, nil
}

func (f *countingECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.count("UpdateService")
	return &ecs.UpdateServiceOutput{}, nil
}

// servicesOf are n services of cluster, named s00, s01…
func servicesOf(cluster string, n int) []config.Service {
	out := make([]config.Service, n)
	for i := range out {
		name := fmt.Sprintf("s%02d", i)
		out[i] = config.Service{Name: cluster + "-" + name, Cluster: cluster, Service: name}
	}
	return out
}

// views builds the cache over f for services, as a deploy run does.
func views(f *countingECS, services []config.Service) (preflight.ECSAPI, deploy.ECSAPI, *readCache) {
	o := Options{Services: services, AWS: AWS{ECS: f, Preflight: &preflight.AWSAPIs{ECS: f}}, Clock: clock.Real{}}
	o, c := o.sharingReads()
	return o.AWS.Preflight.ECS, o.AWS.ECS, c
}

// servicesReader is what preflight's and the engine's views have in common.
type servicesReader interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

func describe(t *testing.T, api servicesReader, cluster string, services ...string) *ecs.DescribeServicesOutput {
	t.Helper()
	out, err := api.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: services})
	if err != nil {
		t.Fatalf("DescribeServices %s %v: %v", cluster, services, err)
	}
	return out
}

// Preflight and the engine's first read of each service share one batch
// per cluster, ten services a call; every later read goes to ECS.
func TestReadCacheServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []config.Service // default: s00…s11 of cluster a
		// run reads through the views and returns the DescribeServices
		// calls it expects ECS to have seen.
		run func(t *testing.T, pre preflight.ECSAPI, eng deploy.ECSAPI, c *readCache) int
	}{
		{"preflight and the engine's first reads share one batch", nil, func(t *testing.T, pre preflight.ECSAPI, eng deploy.ECSAPI, _ *readCache) int {
			for range 2 { // preflight may read a service more than once
				for i := range 12 {
					describe(t, pre, "a", fmt.Sprintf("s%02d", i))
				}
			}
			for i := range 12 {
				if out := describe(t, eng, "a", fmt.Sprintf("s%02d", i)); len(out.Services) != 1 {
					t.Fatalf("engine read of s%02d: %+v", i, out)
				}
			}
			return 2 // ceil(12/10)
		}},
		{"the engine's second read of a service (a poll) reads ECS", nil, func(t *testing.T, _ preflight.ECSAPI, eng deploy.ECSAPI, _ *readCache) int {
			describe(t, eng, "a", "s00")
			describe(t, eng, "a", "s00")
			describe(t, eng, "a", "s00", "s01")
			return 2 + 1 + 1
		}},
		{"a written service is read from ECS", nil, func(t *testing.T, pre preflight.ECSAPI, eng deploy.ECSAPI, _ *readCache) int {
			describe(t, pre, "a", "s00")
			if _, err := eng.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("a"), Service: aws.String("s01")}); err != nil {
				t.Fatal(err)
			}
			describe(t, eng, "a", "s01")
			return 2 + 1
		}},
		{"forgotten after the deploy locks, read again in a batch", nil, func(t *testing.T, pre preflight.ECSAPI, eng deploy.ECSAPI, c *readCache) int {
			describe(t, pre, "a", "s00")
			c.forgetServices()
			describe(t, eng, "a", "s00")
			describe(t, eng, "a", "s11")
			return 2 + 2
		}},
		{"a service outside the run, or with Include, reads ECS", nil, func(t *testing.T, pre preflight.ECSAPI, _ deploy.ECSAPI, _ *readCache) int {
			describe(t, pre, "a", "other")
			describe(t, pre, "b", "s00")
			if _, err := pre.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("a"), Services: []string{"s00"}, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}}); err != nil {
				t.Fatal(err)
			}
			return 3
		}},
		{"a missing service is answered with its failure", []config.Service{{Name: "gone", Cluster: "a", Service: "gone"}}, func(t *testing.T, pre preflight.ECSAPI, eng deploy.ECSAPI, _ *readCache) int {
			for _, api := range []servicesReader{pre, eng} {
				out := describe(t, api, "a", "gone")
				if len(out.Services) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
					t.Fatalf("read of a missing service = %+v", out)
				}
			}
			return 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newCountingECS()
			services := tt.services
			if services == nil {
				services = servicesOf("a", 12)
			}
			pre, eng, c := views(f, services)
			want := tt.run(t, pre, eng, c)
			if got := f.n("DescribeServices"); got != want {
				t.Errorf("DescribeServices calls = %d, want %d (inputs %v)", got, want, f.inputs)
			}
		})
	}
}

// A batch that fails is not kept: each caller asks ECS and meets its own
// answer, as without the cache.
func TestReadCacheFailedBatch(t *testing.T) {
	t.Parallel()
	f := newCountingECS()
	f.failMany = true
	pre, eng, _ := views(f, servicesOf("a", 3))
	for _, api := range []servicesReader{pre, eng} {
		if out := describe(t, api, "a", "s01"); len(out.Services) != 1 {
			t.Fatalf("read after a failed batch = %+v", out)
		}
	}
	// Each read: a failed batch, then the caller's own call.
	if got := f.n("DescribeServices"); got != 4 {
		t.Errorf("DescribeServices calls = %d, want 4", got)
	}
}

// Preflight's answer stands for the engine's first read only while fresh.
func TestReadCacheStaleAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newCountingECS()
		pre, eng, _ := views(f, servicesOf("a", 1))
		describe(t, pre, "a", "s00")
		time.Sleep(shareFor + time.Second)
		describe(t, eng, "a", "s00")
		if got := f.n("DescribeServices"); got != 2 {
			t.Errorf("DescribeServices calls = %d, want 2", got)
		}
	})
}

// A numbered revision is described once, with its tags, for every reader;
// a reader who did not ask for tags gets none, and a reader's changes to
// its copy reach nobody else. A bare family (its latest revision, which
// the run changes) is always read from ECS.
func TestReadCacheTaskDefinitions(t *testing.T) {
	t.Parallel()
	f := newCountingECS()
	f.tags = []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}}
	pre, eng, _ := views(f, servicesOf("a", 2))
	const rev = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:3"
	p, err := pre.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(rev)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tags) != 0 {
		t.Errorf("preflight asked for no tags, got %v", p.Tags)
	}
	p.TaskDefinition.ContainerDefinitions[0].Image = aws.String("changed")
	for range 2 {
		e, err := eng.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(rev), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Tags) != 1 {
			t.Errorf("engine asked for tags, got %v", e.Tags)
		}
		if got := aws.ToString(e.TaskDefinition.ContainerDefinitions[0].Image); got != "repo/app:v1" {
			t.Errorf("image = %s: another reader's change leaked", got)
		}
	}
	for _, family := range []string{"app", "app"} {
		if _, err := eng.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.n("DescribeTaskDefinition"); got != 1+2 {
		t.Errorf("DescribeTaskDefinition calls = %d, want 3 (the revision once, the family twice)", got)
	}
}

// The run's clusters are described in one call; a missing one keeps its
// failure.
func TestReadCacheClusters(t *testing.T) {
	t.Parallel()
	f := newCountingECS()
	services := append(append(servicesOf("a", 2), servicesOf("b", 2)...), servicesOf("nowhere", 1)...)
	pre, _, _ := views(f, services)
	for _, cl := range []string{"a", "b", "nowhere", "a"} {
		out, err := pre.DescribeClusters(t.Context(), &ecs.DescribeClustersInput{Clusters: []string{cl}})
		if err != nil {
			t.Fatal(err)
		}
		if found := len(out.Clusters) == 1; found != (cl != "nowhere") || len(out.Clusters)+len(out.Failures) != 1 {
			t.Errorf("cluster %s: %+v", cl, out)
		}
	}
	if got := f.n("DescribeClusters"); got != 1 {
		t.Errorf("DescribeClusters calls = %d, want 1", got)
	}
}

// Preflight shares the engine's reads only when both use one client: a
// test's separate preflight fake is left alone.
func TestSharingReadsNeedsOneClient(t *testing.T) {
	t.Parallel()
	a, b := newCountingECS(), newCountingECS()
	o := Options{Services: servicesOf("a", 1), AWS: AWS{ECS: a, Preflight: &preflight.AWSAPIs{ECS: b}}}
	o, _ = o.sharingReads()
	if o.AWS.Preflight.ECS != preflight.ECSAPI(b) {
		t.Errorf("preflight's own client was wrapped: %T", o.AWS.Preflight.ECS)
	}
	if _, ok := o.AWS.ECS.(*engineECS); !ok {
		t.Errorf("engine client %T, want the shared view", o.AWS.ECS)
	}
}

// The engine finds optional interfaces on its client by type assertion;
// the shared view must keep every one the client has, or sharing reads
// would quietly turn a feature off (following service deployments). The
// list is read from package deploy's source, so an interface added there
// is checked too: every exported interface of deploy that *ecs.Client
// satisfies, the view over *ecs.Client must satisfy.
func TestEngineViewKeepsOptionalInterfaces(t *testing.T) {
	t.Parallel()
	client := ecs.New(ecs.Options{Region: "us-east-1"})
	view := newReadCache(client, nil, nil, nil).engine(client)
	clientT, viewT := reflect.TypeOf(client), reflect.TypeOf(view)
	ifaces := deployInterfaces(t)
	if len(ifaces) == 0 {
		t.Fatal("found no interfaces in package deploy")
	}
	for name, methods := range ifaces {
		if !hasAll(clientT, methods) {
			continue
		}
		if !hasAll(viewT, methods) {
			t.Errorf("the shared view lacks deploy.%s (%v), which the client has", name, methods)
		}
	}
	// And a client without them stays without them.
	bare := newReadCache(newCountingECS(), nil, nil, nil).engine(newCountingECS())
	if _, ok := bare.(deploy.ServiceDeploymentAPI); ok {
		t.Error("the view of a client without service deployments claims them")
	}
}

// deployInterfaces maps each exported interface type of package deploy to
// its method names.
func deployInterfaces(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "deploy", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if filepath.Ext(path) != ".go" || len(path) > 8 && path[len(path)-8:] == "_test.go" {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				return true
			}
			var methods []string
			for _, m := range it.Methods.List {
				for _, name := range m.Names {
					methods = append(methods, name.Name)
				}
			}
			out[ts.Name.Name] = methods
			return true
		})
	}
	return out
}

func hasAll(t reflect.Type, methods []string) bool {
	for _, m := range methods {
		if _, ok := t.MethodByName(m); !ok {
			return false
		}
	}
	return true
}

// A shared read that another caller's context ended does not fail a
// caller waiting for it whose context is live: it asks ECS itself.
func TestReadCacheOtherCallersContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newCountingECS()
		g := &gatedECS{countingECS: f, gate: make(chan struct{}), entered: make(chan struct{})}
		o := Options{Services: servicesOf("a", 1), AWS: AWS{ECS: g, Preflight: &preflight.AWSAPIs{ECS: g}}}
		o, _ = o.sharingReads()
		in := &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("app:3")}
		ctx, cancel := context.WithCancel(t.Context())
		first, second := make(chan error, 1), make(chan error, 1)
		go func() {
			_, err := o.AWS.Preflight.ECS.DescribeTaskDefinition(ctx, in)
			first <- err
		}()
		<-g.entered
		go func() {
			_, err := o.AWS.ECS.DescribeTaskDefinition(t.Context(), in)
			second <- err
		}()
		synctest.Wait() // the second caller waits for the first's read
		cancel()
		close(g.gate)
		if err := <-first; !errors.Is(err, context.Canceled) {
			t.Fatalf("first caller: %v, want its own cancellation", err)
		}
		if err := <-second; err != nil {
			t.Fatalf("second caller: %v, want an answer", err)
		}
	})
}

// gatedECS holds DescribeTaskDefinition until gate closes, then answers
// with the caller's context error if it ended.
type gatedECS struct {
	*countingECS
	gate    chan struct{}
	once    sync.Once
	entered chan struct{}
}

func (g *gatedECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	first := false
	g.once.Do(func() { first = true; close(g.entered) })
	if first {
		<-g.gate
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return g.countingECS.DescribeTaskDefinition(ctx, in, optFns...)
}
