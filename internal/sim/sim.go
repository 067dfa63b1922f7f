// Package sim is an in-memory ECS, CloudWatch Logs, STS, SSM, IAM, ECR and
// Secrets Manager (metadata only: no secret values) for
// tests and for `omdeploy demo`. Rollouts move forward with an injectable
// clock: state is computed from clock.Now() whenever it is read, with no
// goroutines, so clock.Real in a testing/synctest bubble runs a
// fifteen-minute rollout in milliseconds, clock.Real outside one runs the
// demo at human speed, and the demo's faster clock runs it sped up.
//
// Scripted rollouts (Healthy, CrashLoop, PullError, SecretsError,
// NoCapacity, ReplacedAfter, Slow), the circuit breaker with or without
// ECS's rollback, and throttling bursts reproduce what a deploy meets in
// AWS. Calls counts API calls by action, for benchmarks.
package sim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/omdeploy/omdeploy/internal/clock"
)

// The simulated account.
const (
	Region    = "us-east-1"
	Account   = "123456789012"
	Principal = "arn:aws:sts::123456789012:assumed-role/deployer/omdeploy-sim"
)

// Sim is the simulated AWS account. It is safe for concurrent use.
type Sim struct {
	clk clock.Clock

	mu        sync.Mutex
	seq       int
	calls     map[string]int
	throttles []*throttle
	clusters  map[string]*cluster
	families  map[string][]*taskDef // revision n at index n-1
	logGroups map[string]map[string][]logLine
	params    map[string]bool
	denied    map[string]bool
	faults    map[string]error // action -> the error every call gets
	onTag     map[string]Rollout
	repos     map[string][]*ecrImage // ECR repository -> images; see artifacts.go
	secrets   map[string]*secret     // Secrets Manager name -> secret
	lb        *elbState              // load balancing; see elb.go

	// Tasks RunTask starts (tasks.go).
	taskScripts []TaskScript
	runTasks    []*runTask
	runInputs   []ecs.RunTaskInput
	tokens      map[string]*runTask // clientToken -> the task it started

	noSD bool // WithoutServiceDeployments
}

type throttle struct {
	action string // "" for every action
	left   int
	until  time.Time
}

type taskDef struct {
	td   ecstypes.TaskDefinition
	tags []ecstypes.Tag
}

type logLine struct {
	at  time.Time
	msg string
	// from is when the line is written, for a running task's lines
	// scripted ahead; zero: there from the start.
	from time.Time
}

// New returns an empty account whose time is clk's.
func New(clk clock.Clock) *Sim {
	return &Sim{
		clk:       clk,
		calls:     map[string]int{},
		clusters:  map[string]*cluster{},
		families:  map[string][]*taskDef{},
		logGroups: map[string]map[string][]logLine{},
		params:    map[string]bool{},
		denied:    map[string]bool{},
		faults:    map[string]error{},
		onTag:     map[string]Rollout{},
		tokens:    map[string]*runTask{},
	}
}

// Calls returns how many times each API action was called, throttled calls
// included.
func (s *Sim) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Throttle makes the next n calls of action ("" for any) fail with
// ThrottlingException.
func (s *Sim) Throttle(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles = append(s.throttles, &throttle{action: action, left: n})
}

// ThrottleFor makes every call of action ("" for any) fail with
// ThrottlingException for d from now.
func (s *Sim) ThrottleFor(action string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles = append(s.throttles, &throttle{action: action, until: s.clk.Now().Add(d)})
}

// call counts an API call and says whether it fails: the context is done,
// as the SDK would report, or the action is throttled. s.mu is held.
// calledOn is how a call on one service starts, with s.mu held: the
// call's scripted faults (through call), its cluster, time moved on, then
// the service, which ECS reports missing as ServiceNotFoundException.
func (s *Sim) calledOn(ctx context.Context, call func(context.Context, string) error, action string, cluster, name *string) (*service, error) {
	if err := call(ctx, action); err != nil {
		return nil, err
	}
	c, err := s.cluster(cluster)
	if err != nil {
		return nil, err
	}
	s.advance()
	svc := c.services[lastSegment(aws.ToString(name))]
	if svc == nil {
		return nil, apiError("ServiceNotFoundException", "Service not found.")
	}
	return svc, nil
}

func (s *Sim) call(ctx context.Context, action string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("operation error %s: %w", action, err)
	}
	s.calls[action]++
	now := s.clk.Now()
	for _, t := range s.throttles {
		if t.action != "" && t.action != action {
			continue
		}
		if t.left > 0 {
			t.left--
			return apiError("ThrottlingException", "Rate exceeded")
		}
		if now.Before(t.until) {
			return apiError("ThrottlingException", "Rate exceeded")
		}
	}
	return s.faults[action]
}

// AddParameter creates an SSM parameter.
func (s *Sim) AddParameter(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[name] = true
}

// AddLogGroup creates a CloudWatch log group.
func (s *Sim) AddLogGroup(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logGroups[name] == nil {
		s.logGroups[name] = map[string][]logLine{}
	}
}

// DenyAction makes IAM policy simulation deny action (e.g. "ecs:UpdateService").
func (s *Sim) DenyAction(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[action] = true
}

// OnTag makes every deployment of a task definition whose containers use an
// image with this tag roll out like r, unless a Script entry comes first.
func (s *Sim) OnTag(tag string, r Rollout) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onTag[tag] = r
}

// Script queues how the next deployments UpdateService starts for the
// service roll out, one entry per deployment; without entries they follow
// OnTag or are Healthy.
func (s *Sim) Script(cluster, service string, rs ...Rollout) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.mustService(cluster, service)
	svc.script = append(svc.script, rs...)
}

// ServiceSpec describes a service to create.
type ServiceSpec struct {
	Cluster string
	Name    string
	Family  string // default Name
	Image   string // of the default "app" container; default "demo/NAME:v1"
	// Containers replaces the default single "app" container that logs
	// with awslogs to /ecs/NAME (prefix "ecs").
	Containers []ecstypes.ContainerDefinition
	Desired    int32 // default 2
	// CircuitBreaker turns on ECS's deployment circuit breaker;
	// BreakerRollback makes it roll back on its own.
	CircuitBreaker, BreakerRollback bool
	NoLogGroup                      bool // do not create the log group the containers name
	// Port is a containerPort the default "app" container maps; 0: none.
	Port int32
}

// AddService creates a cluster if needed, registers a task definition and
// creates a service running it with a COMPLETED deployment. It returns the
// task definition's ARN.
func (s *Sim) AddService(spec ServiceSpec) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.Family == "" {
		spec.Family = spec.Name
	}
	if spec.Image == "" {
		spec.Image = "demo/" + spec.Name + ":v1"
	}
	if spec.Desired == 0 {
		spec.Desired = 2
	}
	if spec.Containers == nil {
		spec.Containers = []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(spec.Image), Essential: aws.Bool(true), Memory: aws.Int32(512),
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/" + spec.Name, "awslogs-region": Region, "awslogs-stream-prefix": "ecs",
			}},
		}}
		if spec.Port != 0 {
			spec.Containers[0].PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(spec.Port), Protocol: ecstypes.TransportProtocolTcp}}
		}
	}
	if !spec.NoLogGroup {
		for _, c := range spec.Containers {
			if lc := c.LogConfiguration; lc != nil && lc.Options["awslogs-group"] != "" && s.logGroups[lc.Options["awslogs-group"]] == nil {
				s.logGroups[lc.Options["awslogs-group"]] = map[string][]logLine{}
			}
		}
	}
	td := s.register(ecstypes.TaskDefinition{
		Family: aws.String(spec.Family), ContainerDefinitions: spec.Containers,
		NetworkMode: ecstypes.NetworkModeAwsvpc, RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ExecutionRoleArn: aws.String("arn:aws:iam::" + Account + ":role/ecsTaskExecutionRole"),
	}, nil)
	c := s.ensureCluster(spec.Cluster)
	now := s.clk.Now()
	svc := &service{
		name: spec.Name, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", Region, Account, spec.Cluster, spec.Name),
		cluster: c, desired: spec.Desired, taskDef: arnOf(td), created: now,
		network: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-0sim0000000000001", "subnet-0sim0000000000002"}, SecurityGroups: []string{"sg-0sim0000000000001"},
			AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
	}
	if spec.CircuitBreaker {
		svc.breaker = &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: spec.BreakerRollback}
	}
	d := s.newDeployment(svc, arnOf(td), Healthy(), now)
	d.state, d.reason, d.next = ecstypes.DeploymentRolloutStateCompleted, "ECS deployment "+d.id+" completed.", time.Time{}
	for range spec.Desired {
		s.startTask(svc, d, now)
	}
	svc.deployments = []*deployment{d}
	sd := s.newServiceDeployment(svc, d, nil, now) // done before the story starts
	sd.status, sd.reason, sd.ended, sd.i, sd.next = ecstypes.ServiceDeploymentStatusSuccessful, "Service deployment succeeded.", now, len(sd.plan), time.Time{}
	c.services[spec.Name] = svc
	c.order = append(c.order, spec.Name)
	return arnOf(td)
}

// AddCluster creates an empty cluster, unless it exists.
func (s *Sim) AddCluster(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureCluster(name)
}

// ensureCluster returns the cluster, creating it if needed. s.mu is held.
func (s *Sim) ensureCluster(name string) *cluster {
	c := s.clusters[name]
	if c == nil {
		c = &cluster{name: name, arn: fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", Region, Account, name), services: map[string]*service{}, noSD: s.noSD}
		s.clusters[name] = c
	}
	return c
}

// register stores a new revision of td's family. s.mu is held.
func (s *Sim) register(td ecstypes.TaskDefinition, tags []ecstypes.Tag) ecstypes.TaskDefinition {
	family := aws.ToString(td.Family)
	td.ContainerDefinitions = slices.Clone(td.ContainerDefinitions)
	for i := range td.ContainerDefinitions {
		// ECS stores an omitted essential as true, and the diagnosis reads
		// it to pick the container whose logs explain a stopped task.
		if td.ContainerDefinitions[i].Essential == nil {
			td.ContainerDefinitions[i].Essential = aws.Bool(true)
		}
	}
	rev := int32(len(s.families[family]) + 1)
	td.Revision = rev
	td.TaskDefinitionArn = aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", Region, Account, family, rev))
	td.Status = ecstypes.TaskDefinitionStatusActive
	td.Compatibilities = []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate}
	td.RegisteredAt = aws.Time(s.clk.Now())
	td.RegisteredBy = aws.String(Principal)
	s.families[family] = append(s.families[family], &taskDef{td: td, tags: tags})
	return td
}

// lookupTaskDef resolves an ARN, "family:rev" or "family" (latest ACTIVE).
// s.mu is held.
func (s *Sim) lookupTaskDef(name string) (*taskDef, bool) {
	name = name[strings.LastIndex(name, "/")+1:]
	family, rev, hasRev := strings.Cut(name, ":")
	revs := s.families[family]
	if !hasRev {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i].td.Status == ecstypes.TaskDefinitionStatusActive {
				return revs[i], true
			}
		}
		return nil, false
	}
	var n int
	if _, err := fmt.Sscanf(rev, "%d", &n); err != nil || n < 1 || n > len(revs) {
		return nil, false
	}
	return revs[n-1], true
}

func (s *Sim) mustService(cluster, name string) *service {
	c := s.clusters[cluster]
	if c == nil || c.services[name] == nil {
		panic(fmt.Sprintf("sim: no service %s in cluster %s", name, cluster))
	}
	return c.services[name]
}

func (s *Sim) nextID() int {
	s.seq++
	return s.seq
}

func arnOf(td ecstypes.TaskDefinition) string { return aws.ToString(td.TaskDefinitionArn) }

func apiError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}

func ptr[T any](v T) *T { return &v }
