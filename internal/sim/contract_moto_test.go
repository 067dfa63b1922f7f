package sim

// The contract suite: one table of cases, each run against the simulator
// (TestContract/sim/<case>) and against moto through the real SDK clients
// (TestContract/moto/<case>), through the interfaces omdeploy itself calls.
// A case observes only what omdeploy's logic reads (statuses, task
// definitions, failure reasons, the error codes it branches on) and writes
// it as text, with the case's random names replaced by F, C, S and M, so
// that both sides must produce the same text.
//
// Left out on purpose: rollouts moving in time (tasks starting one by one,
// the circuit breaker, ECS's own rollback, throttling). The simulator
// scripts them on its clock; moto answers a fixed snapshot, so there is
// nothing there to compare with. FilterLogEvents and DescribeParameters are
// left out too: omdeploy calls neither, and the simulator implements
// neither.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/testenv"
	"github.com/omdeploy/omdeploy/preflight"
)

// contractECS is every ECS call the suite makes: what deploy and preflight
// call, plus the two calls cases use to set a scene (a deregistered
// revision, a deleted service).
type contractECS interface {
	deploy.ECSAPI
	preflight.ECSAPI
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	DeleteService(ctx context.Context, in *ecs.DeleteServiceInput, optFns ...func(*ecs.Options)) (*ecs.DeleteServiceOutput, error)
}

// contractLogs is what deploy and preflight call of CloudWatch Logs.
type contractLogs interface {
	deploy.LogsAPI
	preflight.LogsAPI
}

var (
	_ contractECS  = (*Sim)(nil)
	_ contractECS  = (*ecs.Client)(nil)
	_ contractLogs = (*Sim)(nil)
	_ contractLogs = (*cloudwatchlogs.Client)(nil)
)

// target is one side of the contract: the APIs under test, a way to set a
// scene on them, and the case's names.
type target struct {
	ecs  contractECS
	ssm  preflight.SSMAPI
	logs contractLogs
	sts  preflight.STSAPI
	seed seeder
	n    names
}

// seeder creates what a case starts from with each side's own means: the
// simulator's helpers, moto's create calls. Calls outside the interfaces
// under test, so a seeding failure is fatal rather than an observation.
type seeder interface {
	cluster(t *testing.T, name string)
	// service creates the cluster and a service of desired count 1 running
	// revision 1 of family (one essential "app" container), and returns
	// that revision's ARN.
	service(t *testing.T, cluster, name, family string) string
	parameter(t *testing.T, name string)
	logGroup(t *testing.T, name string)
	logEvents(t *testing.T, group, stream string, lines ...string)
}

// names are a case's resource names: random, because every package shares
// one moto server.
type names struct {
	cluster, service, family, missing string
}

func newNames() names {
	return names{cluster: testenv.Unique("cl"), service: testenv.Unique("svc"), family: testenv.Unique("fam"), missing: testenv.Unique("missing")}
}

// scrub replaces the random names so one want fits both sides.
func (n names) scrub(s string) string {
	return strings.NewReplacer(n.cluster, "C", n.service, "S", n.family, "F", n.missing, "M").Replace(s)
}

type contractCase struct {
	name string
	// run makes the calls and returns what omdeploy would read, one fact a
	// line.
	run  func(t *testing.T, tg target) string
	want string
	// motoDiffers says how moto departs from AWS in this case, where the
	// simulator follows AWS, and motoWant is what moto answers instead.
	// The moto half pins that answer, so that a moto that catches up with
	// AWS is noticed and the note dropped, and a new deviation in the same
	// case is not hidden behind an old one.
	motoDiffers, motoWant string
}

// TestContract runs every case on a fresh simulated account and on moto,
// as TestContract/sim/<case> and TestContract/moto/<case>.
func TestContract(t *testing.T) {
	sides := []struct {
		name    string
		connect func(t *testing.T) func(t *testing.T) target
	}{
		{"sim", func(*testing.T) func(*testing.T) target { return simTarget }},
		{"moto", motoTargets},
	}
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			newTarget := side.connect(t)
			for _, c := range contractCases {
				t.Run(c.name, func(t *testing.T) {
					tg := newTarget(t)
					got := tg.n.scrub(c.run(t, tg))
					switch {
					case side.name == "moto" && c.motoDiffers != "":
						switch got {
						case c.motoWant:
							t.Logf("known moto deviation: %s", c.motoDiffers)
						case c.want:
							t.Errorf("moto now answers as AWS does; drop the case's motoDiffers (%s) and motoWant", c.motoDiffers)
						default:
							t.Errorf("moto answers neither as AWS does nor with its known deviation (%s)\n%s\ngot:\n%s\nwant:\n%s",
								c.motoDiffers, testenv.FirstDiff(c.motoWant, got), got, c.motoWant)
						}
					case got != c.want:
						t.Errorf("%s answers differently from AWS\n%s\ngot:\n%s\nwant:\n%s", side.name, testenv.FirstDiff(c.want, got), got, c.want)
					}
				})
			}
		})
	}
}

// simTarget is a fresh simulated account per case.
func simTarget(*testing.T) target {
	s := New(clock.Real{})
	return target{ecs: s, ssm: s, logs: s, sts: s, seed: simSeeder{s}, n: newNames()}
}

// motoTargets connects inside the moto half, so that the simulator half
// runs even where moto is missing; testenv then fails the moto half once,
// saying how to start moto, as every moto test in the repository does.
func motoTargets(t *testing.T) func(t *testing.T) target {
	c := testenv.Moto(t)
	return func(*testing.T) target {
		return target{ecs: c.ECS, ssm: c.SSM, logs: c.Logs, sts: c.STS, seed: motoSeeder{c}, n: newNames()}
	}
}

type simSeeder struct{ s *Sim }

func (m simSeeder) cluster(_ *testing.T, name string) { m.s.AddCluster(name) }

func (m simSeeder) service(_ *testing.T, cluster, name, family string) string {
	return m.s.AddService(ServiceSpec{Cluster: cluster, Name: name, Family: family, Image: "repo/app:v1", Desired: 1})
}

func (m simSeeder) parameter(_ *testing.T, name string) { m.s.AddParameter(name) }

func (m simSeeder) logGroup(_ *testing.T, name string) { m.s.AddLogGroup(name) }

func (m simSeeder) logEvents(_ *testing.T, group, stream string, lines ...string) {
	m.s.AddLogGroup(group)
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	at := m.s.clk.Now()
	for i, l := range lines {
		m.s.logGroups[group][stream] = append(m.s.logGroups[group][stream], logLine{at: at.Add(time.Duration(i) * time.Millisecond), msg: l})
	}
}

type motoSeeder struct{ c *awsx.Clients }

func (m motoSeeder) cluster(t *testing.T, name string) {
	t.Helper()
	if _, err := m.c.ECS.CreateCluster(testenv.Ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(name)}); err != nil {
		t.Fatalf("create cluster: %v", err)
	}
}

func (m motoSeeder) service(t *testing.T, cluster, name, family string) string {
	t.Helper()
	m.cluster(t, cluster)
	ctx := testenv.Ctx(t)
	in := appTaskDef(family, "repo/app:v1")
	out, err := m.c.ECS.RegisterTaskDefinition(ctx, in)
	if err != nil {
		t.Fatalf("register task definition: %v", err)
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	if _, err := m.c.ECS.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(arn),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
	}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	return arn
}

func (m motoSeeder) parameter(t *testing.T, name string) {
	t.Helper()
	testenv.PutParameter(t, m.c, testenv.MotoRegion, name)
}

func (m motoSeeder) logGroup(t *testing.T, name string) {
	t.Helper()
	if _, err := m.c.Logs.CreateLogGroup(testenv.Ctx(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		t.Fatalf("create log group %s: %v", name, err)
	}
}

func (m motoSeeder) logEvents(t *testing.T, group, stream string, lines ...string) {
	t.Helper()
	m.logGroup(t, group)
	ctx := testenv.Ctx(t)
	if _, err := m.c.Logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("create log stream: %v", err)
	}
	at := time.Now().UnixMilli()
	var events []logstypes.InputLogEvent
	for i, l := range lines {
		events = append(events, logstypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(at + int64(i))})
	}
	if _, err := m.c.Logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatalf("put log events: %v", err)
	}
}

// appTaskDef is a one-container revision as moto seeds it, and as a case
// registers a next revision.
func appTaskDef(family, image string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(image), Essential: aws.Bool(true), Memory: aws.Int32(512),
		}},
	}
}

// fullTaskDef sets every field omdeploy copies from one revision to the
// next.
func fullTaskDef(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
		TaskRoleArn:             aws.String("arn:aws:iam::123456789012:role/app-task"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{
				Name:         aws.String("app"),
				Image:        aws.String("repo/app:v1"),
				Essential:    aws.Bool(true),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: ecstypes.TransportProtocolTcp}},
				Environment:  []ecstypes.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}, {Name: aws.String("A_FIRST"), Value: aws.String("1")}},
				Secrets:      []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/" + family + "/db")}},
				LogConfiguration: &ecstypes.LogConfiguration{
					LogDriver: ecstypes.LogDriverAwslogs,
					Options:   map[string]string{"awslogs-group": "/ecs/" + family, "awslogs-region": testenv.MotoRegion, "awslogs-stream-prefix": "ecs"},
				},
			},
			{Name: aws.String("envoy"), Image: aws.String("envoyproxy/envoy:v1.30"), Essential: aws.Bool(false)},
		},
	}
}

// errLine is how omdeploy sees an error: by its AWS code.
func errLine(err error) string {
	if c := awsx.Code(err); c != "" {
		return "error " + c
	}
	return "error without an AWS code: " + err.Error()
}

// arnOK says "ok" when arn is service's ARN of resource in the test
// region of some account, or shows it.
func arnOK(arn, service, resource string) string {
	re := regexp.MustCompile(`^arn:aws:` + service + `:` + testenv.MotoRegion + `:\d{12}:` + regexp.QuoteMeta(resource) + `$`)
	if re.MatchString(arn) {
		return "ok"
	}
	return arn
}

func tdView(td ecstypes.TaskDefinition) string {
	var b strings.Builder
	family := aws.ToString(td.Family)
	fmt.Fprintf(&b, "arn=%s family=%s revision=%d status=%s\n",
		arnOK(aws.ToString(td.TaskDefinitionArn), "ecs", fmt.Sprintf("task-definition/%s:%d", family, td.Revision)), family, td.Revision, td.Status)
	fmt.Fprintf(&b, "cpu=%s memory=%s network=%s requires=%v execution=%s task=%s\n",
		aws.ToString(td.Cpu), aws.ToString(td.Memory), td.NetworkMode, td.RequiresCompatibilities, aws.ToString(td.ExecutionRoleArn), aws.ToString(td.TaskRoleArn))
	for _, c := range td.ContainerDefinitions {
		b.WriteString(containerView(c) + "\n")
	}
	return b.String()
}

func containerView(c ecstypes.ContainerDefinition) string {
	var ports, env, secrets []string
	for _, p := range c.PortMappings {
		ports = append(ports, fmt.Sprintf("%d/%s", aws.ToInt32(p.ContainerPort), p.Protocol))
	}
	for _, e := range c.Environment {
		env = append(env, aws.ToString(e.Name)+"="+aws.ToString(e.Value))
	}
	for _, s := range c.Secrets {
		secrets = append(secrets, aws.ToString(s.Name)+"="+aws.ToString(s.ValueFrom))
	}
	logs := "none"
	if lc := c.LogConfiguration; lc != nil {
		var opts []string
		for k, v := range lc.Options {
			opts = append(opts, k+"="+v)
		}
		slices.Sort(opts)
		logs = fmt.Sprintf("%s%v", lc.LogDriver, opts)
	}
	essential := "unset"
	if c.Essential != nil {
		essential = fmt.Sprint(*c.Essential)
	}
	return fmt.Sprintf("container %s image=%s essential=%s ports=%v env=%v secrets=%v logs=%s",
		aws.ToString(c.Name), aws.ToString(c.Image), essential, ports, env, secrets, logs)
}

// deploymentsView shows a service's deployments as omdeploy follows them,
// naming IDs "old" (the service's first deployment) or "new".
func deploymentsView(svc ecstypes.Service, oldID string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "service status=%s taskdef=%s desired=%d\n", aws.ToString(svc.Status), lastSegment(aws.ToString(svc.TaskDefinition)), svc.DesiredCount)
	for _, d := range svc.Deployments {
		id := aws.ToString(d.Id)
		switch {
		case id == oldID:
			id = "old"
		case strings.HasPrefix(id, "ecs-svc/"):
			id = "new"
		}
		fmt.Fprintf(&b, "deployment %s %s %s id=%s\n", aws.ToString(d.Status), lastSegment(aws.ToString(d.TaskDefinition)), d.RolloutState, id)
	}
	return b.String()
}

func failuresView(fs []ecstypes.Failure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, aws.ToString(f.Reason))
	}
	return out
}

// describeOne describes the case's service.
func describeOne(t *testing.T, tg target) (ecstypes.Service, error) {
	t.Helper()
	out, err := tg.ecs.DescribeServices(testenv.Ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(tg.n.cluster), Services: []string{tg.n.service}})
	if err != nil {
		return ecstypes.Service{}, err
	}
	if len(out.Services) != 1 {
		t.Fatalf("describe services: %d services, failures %v", len(out.Services), failuresView(out.Failures))
	}
	return out.Services[0], nil
}

// register registers n revisions of family and returns their short names.
func register(t *testing.T, tg target, family string, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		r, err := tg.ecs.RegisterTaskDefinition(testenv.Ctx(t), appTaskDef(family, fmt.Sprintf("repo/app:v%d", i+1)))
		if err != nil {
			t.Fatalf("register %s: %v", family, err)
		}
		out = append(out, lastSegment(aws.ToString(r.TaskDefinition.TaskDefinitionArn)))
	}
	return out
}

func deregister(t *testing.T, tg target, name string) {
	t.Helper()
	if _, err := tg.ecs.DeregisterTaskDefinition(testenv.Ctx(t), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(name)}); err != nil {
		t.Fatalf("deregister %s: %v", name, err)
	}
}

// listRevisions lists family's revisions as omdeploy's rollback does.
func listRevisions(t *testing.T, tg target, family string, status ecstypes.TaskDefinitionStatus, sort ecstypes.SortOrder) string {
	t.Helper()
	out, err := tg.ecs.ListTaskDefinitions(testenv.Ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: status, Sort: sort})
	if err != nil {
		return errLine(err)
	}
	var revs []string
	for _, arn := range out.TaskDefinitionArns {
		revs = append(revs, lastSegment(arn))
	}
	return strings.Join(revs, " ")
}

// updateView updates the case's service and shows the answer's
// deployments and whether DescribeServices then agrees.
func updateView(t *testing.T, tg target, in *ecs.UpdateServiceInput) string {
	t.Helper()
	before, err := describeOne(t, tg)
	if err != nil || len(before.Deployments) != 1 {
		t.Fatalf("describe before the update: %v %+v", err, before.Deployments)
	}
	oldID := aws.ToString(before.Deployments[0].Id)
	in.Cluster, in.Service = aws.String(tg.n.cluster), aws.String(tg.n.service)
	out, err := tg.ecs.UpdateService(testenv.Ctx(t), in)
	if err != nil {
		return errLine(err)
	}
	answer := deploymentsView(*out.Service, oldID)
	after, err := describeOne(t, tg)
	if err != nil {
		return answer + "describe: " + errLine(err)
	}
	if described := deploymentsView(after, oldID); described != answer {
		return answer + "described differently:\n" + described
	}
	return answer + "described the same"
}

var contractCases = []contractCase{
	// Task definitions: what register copies, and how rollback finds the
	// previous revision.
	{
		name: "register_and_describe_round_trip",
		run: func(t *testing.T, tg target) string {
			ctx := testenv.Ctx(t)
			reg, err := tg.ecs.RegisterTaskDefinition(ctx, fullTaskDef(tg.n.family))
			if err != nil {
				return errLine(err)
			}
			got := tdView(*reg.TaskDefinition)
			desc, err := tg.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: reg.TaskDefinition.TaskDefinitionArn})
			if err != nil {
				return got + "describe: " + errLine(err)
			}
			if d := tdView(*desc.TaskDefinition); d != got {
				return got + "described differently:\n" + d
			}
			return got + "described the same"
		},
		want: `arn=ok family=F revision=1 status=ACTIVE
cpu=256 memory=512 network=awsvpc requires=[FARGATE] execution=arn:aws:iam::123456789012:role/ecsTaskExecutionRole task=arn:aws:iam::123456789012:role/app-task
container app image=repo/app:v1 essential=true ports=[8080/tcp] env=[MODE=prod A_FIRST=1] secrets=[DB_PASSWORD=/F/db] logs=awslogs[awslogs-group=/ecs/F awslogs-region=us-east-1 awslogs-stream-prefix=ecs]
container envoy image=envoyproxy/envoy:v1.30 essential=false ports=[] env=[] secrets=[] logs=none
described the same`,
	},
	{
		// A new revision must carry the old one's tags, so deploy asks for
		// them.
		name: "tags_round_trip_when_asked_for",
		run: func(t *testing.T, tg target) string {
			in := appTaskDef(tg.n.family, "repo/app:v1")
			in.Tags = []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}
			reg, err := tg.ecs.RegisterTaskDefinition(testenv.Ctx(t), in)
			if err != nil {
				return errLine(err)
			}
			var lines []string
			for _, include := range [][]ecstypes.TaskDefinitionField{nil, {ecstypes.TaskDefinitionFieldTags}} {
				out, err := tg.ecs.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: reg.TaskDefinition.TaskDefinitionArn, Include: include})
				if err != nil {
					return errLine(err)
				}
				var tags []string
				for _, tag := range out.Tags {
					tags = append(tags, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
				}
				lines = append(lines, fmt.Sprintf("include=%v tags=%v", include, tags))
			}
			return strings.Join(lines, "\n")
		},
		want: "include=[] tags=[]\ninclude=[TAGS] tags=[team=platform]",
	},
	{
		name: "essential_defaults_to_true",
		run: func(t *testing.T, tg target) string {
			in := appTaskDef(tg.n.family, "repo/app:v1")
			in.ContainerDefinitions[0].Essential = nil
			reg, err := tg.ecs.RegisterTaskDefinition(testenv.Ctx(t), in)
			if err != nil {
				return errLine(err)
			}
			desc, err := tg.ecs.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: reg.TaskDefinition.TaskDefinitionArn})
			if err != nil {
				return errLine(err)
			}
			return containerView(desc.TaskDefinition.ContainerDefinitions[0])
		},
		want: "container app image=repo/app:v1 essential=true ports=[] env=[] secrets=[] logs=none",
	},
	{
		name: "container_memory_required_without_task_memory",
		run: func(t *testing.T, tg target) string {
			in := appTaskDef(tg.n.family, "repo/app:v1")
			in.Memory, in.ContainerDefinitions[0].Memory = nil, nil
			in.RequiresCompatibilities, in.NetworkMode, in.Cpu = nil, "", nil
			_, err := tg.ecs.RegisterTaskDefinition(testenv.Ctx(t), in)
			if err == nil {
				return "registered"
			}
			return errLine(err)
		},
		want: "error ClientException",
	},
	{
		name: "revisions_count_per_family",
		run: func(t *testing.T, tg target) string {
			revs := register(t, tg, tg.n.family, 2)
			revs = append(revs, register(t, tg, tg.n.family+"b", 1)...)
			deregister(t, tg, tg.n.family+":2")
			revs = append(revs, register(t, tg, tg.n.family, 1)...) // a deregistered number is not reused
			return strings.Join(revs, " ")
		},
		want: "F:1 F:2 Fb:1 F:3",
	},
	{
		name: "family_alone_names_the_latest_active_revision",
		run: func(t *testing.T, tg target) string {
			register(t, tg, tg.n.family, 3)
			deregister(t, tg, tg.n.family+":3")
			out, err := tg.ecs.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tg.n.family)})
			if err != nil {
				return errLine(err)
			}
			return lastSegment(aws.ToString(out.TaskDefinition.TaskDefinitionArn))
		},
		want:        "F:2",
		motoDiffers: "moto describes a bare family as its latest revision even when that one is INACTIVE; ECS names the latest ACTIVE",
		motoWant:    "F:3",
	},
	{
		name: "describe_missing_revision",
		run: func(t *testing.T, tg target) string {
			register(t, tg, tg.n.family, 1)
			var lines []string
			for _, name := range []string{tg.n.family + ":2", tg.n.missing + ":1", tg.n.missing} {
				_, err := tg.ecs.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(name)})
				lines = append(lines, name+": "+errLine(err))
			}
			return strings.Join(lines, "\n")
		},
		want: "F:2: error ClientException\nM:1: error ClientException\nM: error ClientException",
	},
	{
		name: "deregistered_revision_is_described_inactive",
		run: func(t *testing.T, tg target) string {
			register(t, tg, tg.n.family, 2)
			deregister(t, tg, tg.n.family+":1")
			out, err := tg.ecs.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tg.n.family + ":1")})
			if err != nil {
				return errLine(err)
			}
			return string(out.TaskDefinition.Status)
		},
		want: "INACTIVE",
	},
	{
		// Eleven revisions, so that a sort of ARNs as strings (":10"
		// before ":2") shows.
		name: "list_revisions_ascending",
		run: func(t *testing.T, tg target) string {
			register(t, tg, tg.n.family, 11)
			register(t, tg, tg.n.family+"b", 1) // shares the prefix, not the family
			deregister(t, tg, tg.n.family+":5")
			return listRevisions(t, tg, tg.n.family, "", "")
		},
		want: "F:1 F:2 F:3 F:4 F:6 F:7 F:8 F:9 F:10 F:11",
	},
	{
		name: "list_revisions_descending",
		run: func(t *testing.T, tg target) string {
			register(t, tg, tg.n.family, 11)
			deregister(t, tg, tg.n.family+":5")
			return listRevisions(t, tg, tg.n.family, ecstypes.TaskDefinitionStatusActive, ecstypes.SortOrderDesc)
		},
		want:        "F:11 F:10 F:9 F:8 F:7 F:6 F:4 F:3 F:2 F:1",
		motoDiffers: "moto ignores sort=DESC and always lists ascending (moto 5.2, ecs list_task_definitions)",
		motoWant:    "F:1 F:2 F:3 F:4 F:6 F:7 F:8 F:9 F:10 F:11",
	},
	{
		name: "list_inactive_revisions",
		run: func(t *testing.T, tg target) string {
			register(t, tg, tg.n.family, 3)
			deregister(t, tg, tg.n.family+":2")
			return listRevisions(t, tg, tg.n.family, ecstypes.TaskDefinitionStatusInactive, "")
		},
		want: "F:2",
	},

	// Clusters and services: the preflight lookups and the errors deploy
	// branches on.
	{
		name: "describe_clusters_found_and_missing",
		run: func(t *testing.T, tg target) string {
			tg.seed.cluster(t, tg.n.cluster)
			out, err := tg.ecs.DescribeClusters(testenv.Ctx(t), &ecs.DescribeClustersInput{Clusters: []string{tg.n.cluster, tg.n.missing}})
			if err != nil {
				return errLine(err)
			}
			var lines []string
			for _, c := range out.Clusters {
				lines = append(lines, fmt.Sprintf("cluster %s %s arn=%s", aws.ToString(c.ClusterName), aws.ToString(c.Status), arnOK(aws.ToString(c.ClusterArn), "ecs", "cluster/"+tg.n.cluster)))
			}
			for _, f := range out.Failures {
				lines = append(lines, fmt.Sprintf("failure %s arn=%s", aws.ToString(f.Reason), arnOK(aws.ToString(f.Arn), "ecs", "cluster/"+tg.n.missing)))
			}
			return strings.Join(lines, "\n")
		},
		want: "cluster C ACTIVE arn=ok\nfailure MISSING arn=ok",
	},
	{
		name: "describe_services_missing_service",
		run: func(t *testing.T, tg target) string {
			tg.seed.cluster(t, tg.n.cluster)
			out, err := tg.ecs.DescribeServices(testenv.Ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(tg.n.cluster), Services: []string{tg.n.missing}})
			if err != nil {
				return errLine(err)
			}
			return fmt.Sprintf("services=%d failures=%v", len(out.Services), failuresView(out.Failures))
		},
		want: "services=0 failures=[MISSING]",
	},
	{
		name: "describe_services_missing_cluster",
		run: func(t *testing.T, tg target) string {
			_, err := tg.ecs.DescribeServices(testenv.Ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(tg.n.missing), Services: []string{tg.n.service}})
			return errLine(err)
		},
		want: "error ClusterNotFoundException",
	},
	{
		// The config may name a cluster and service by ARN.
		name: "describe_service_by_arns",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			svc, err := describeOne(t, tg)
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			out, err := tg.ecs.DescribeServices(testenv.Ctx(t), &ecs.DescribeServicesInput{Cluster: svc.ClusterArn, Services: []string{aws.ToString(svc.ServiceArn)}})
			if err != nil {
				return errLine(err)
			}
			var found []string
			for _, s := range out.Services {
				found = append(found, aws.ToString(s.ServiceName))
			}
			return fmt.Sprintf("services=%v failures=%v", found, failuresView(out.Failures))
		},
		want: "services=[S] failures=[]",
	},
	{
		name: "describe_new_service",
		run: func(t *testing.T, tg target) string {
			arn := tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			svc, err := describeOne(t, tg)
			if err != nil {
				return errLine(err)
			}
			return fmt.Sprintf("arn=%s cluster=%s running=%d\n", arnOK(aws.ToString(svc.ServiceArn), "ecs", "service/"+tg.n.cluster+"/"+tg.n.service),
				arnOK(aws.ToString(svc.ClusterArn), "ecs", "cluster/"+tg.n.cluster), svc.RunningCount) +
				deploymentsView(svc, "") + "service taskdef is the ARN: " + fmt.Sprint(aws.ToString(svc.TaskDefinition) == arn)
		},
		want: "arn=ok cluster=ok running=1\nservice status=ACTIVE taskdef=F:1 desired=1\ndeployment PRIMARY F:1 COMPLETED id=new\nservice taskdef is the ARN: true",
	},
	{
		name: "update_service_to_a_new_revision",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			reg, err := tg.ecs.RegisterTaskDefinition(testenv.Ctx(t), appTaskDef(tg.n.family, "repo/app:v2"))
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			return updateView(t, tg, &ecs.UpdateServiceInput{TaskDefinition: reg.TaskDefinition.TaskDefinitionArn})
		},
		want: `service status=ACTIVE taskdef=F:2 desired=1
deployment PRIMARY F:2 IN_PROGRESS id=new
deployment ACTIVE F:1 COMPLETED id=old
described the same`,
		motoDiffers: "moto's UpdateService sets the service's task definition but starts no deployment: " +
			"deployments[] keeps one PRIMARY of the old revision (moto 5.2, ecs update_service)",
		motoWant: `service status=ACTIVE taskdef=F:2 desired=1
deployment PRIMARY F:1 COMPLETED id=old
described the same`,
	},
	{
		name: "update_service_forcing_a_new_deployment",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			return updateView(t, tg, &ecs.UpdateServiceInput{ForceNewDeployment: true})
		},
		want: `service status=ACTIVE taskdef=F:1 desired=1
deployment PRIMARY F:1 IN_PROGRESS id=new
deployment ACTIVE F:1 COMPLETED id=old
described the same`,
		motoDiffers: "moto's forced deployment renames the one deployment in place instead of adding a PRIMARY " +
			"beside the old ACTIVE one (moto 5.2, ecs update_service)",
		motoWant: `service status=ACTIVE taskdef=F:1 desired=1
deployment PRIMARY F:1 COMPLETED id=new
described the same`,
	},
	{
		name: "update_service_to_the_running_revision_starts_nothing",
		run: func(t *testing.T, tg target) string {
			arn := tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			return updateView(t, tg, &ecs.UpdateServiceInput{TaskDefinition: aws.String(arn)})
		},
		want: `service status=ACTIVE taskdef=F:1 desired=1
deployment PRIMARY F:1 COMPLETED id=old
described the same`,
	},
	{
		name: "update_service_to_an_inactive_revision",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			register(t, tg, tg.n.family, 1)
			deregister(t, tg, tg.n.family+":2")
			_, err := tg.ecs.UpdateService(testenv.Ctx(t), &ecs.UpdateServiceInput{
				Cluster: aws.String(tg.n.cluster), Service: aws.String(tg.n.service), TaskDefinition: aws.String(tg.n.family + ":2"),
			})
			if err == nil {
				return "updated"
			}
			return errLine(err)
		},
		want:        "error ClientException",
		motoDiffers: "moto lets a service move to an INACTIVE revision; ECS refuses with ClientException",
		motoWant:    "updated",
	},
	{
		name: "update_missing_service_and_cluster",
		run: func(t *testing.T, tg target) string {
			tg.seed.cluster(t, tg.n.cluster)
			var lines []string
			for _, c := range [][2]string{{tg.n.cluster, tg.n.missing}, {tg.n.missing, tg.n.service}} {
				_, err := tg.ecs.UpdateService(testenv.Ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(c[0]), Service: aws.String(c[1]), ForceNewDeployment: true})
				lines = append(lines, c[0]+"/"+c[1]+": "+errLine(err))
			}
			return strings.Join(lines, "\n")
		},
		want: "C/M: error ServiceNotFoundException\nM/S: error ClusterNotFoundException",
	},
	{
		name: "deleted_service_is_described_inactive",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			if _, err := tg.ecs.DeleteService(testenv.Ctx(t), &ecs.DeleteServiceInput{Cluster: aws.String(tg.n.cluster), Service: aws.String(tg.n.service), Force: aws.Bool(true)}); err != nil {
				t.Fatalf("delete service: %v", err)
			}
			svc, err := describeOne(t, tg)
			if err != nil {
				return errLine(err)
			}
			return "status=" + aws.ToString(svc.Status)
		},
		want: "status=INACTIVE",
	},
	{
		name: "update_deleted_service",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			if _, err := tg.ecs.DeleteService(testenv.Ctx(t), &ecs.DeleteServiceInput{Cluster: aws.String(tg.n.cluster), Service: aws.String(tg.n.service), Force: aws.Bool(true)}); err != nil {
				t.Fatalf("delete service: %v", err)
			}
			_, err := tg.ecs.UpdateService(testenv.Ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(tg.n.cluster), Service: aws.String(tg.n.service), ForceNewDeployment: true})
			if err == nil {
				return "updated"
			}
			return errLine(err)
		},
		want:        "error ServiceNotActiveException",
		motoDiffers: "moto updates an INACTIVE (deleted) service; ECS answers ServiceNotActiveException",
		motoWant:    "updated",
	},

	// Tasks: the diagnosis lists a deployment's stopped tasks.
	{
		name: "list_stopped_tasks_of_a_deployment_without_any",
		run: func(t *testing.T, tg target) string {
			tg.seed.service(t, tg.n.cluster, tg.n.service, tg.n.family)
			svc, err := describeOne(t, tg)
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			out, err := tg.ecs.ListTasks(testenv.Ctx(t), &ecs.ListTasksInput{
				Cluster: aws.String(tg.n.cluster), StartedBy: svc.Deployments[0].Id, DesiredStatus: ecstypes.DesiredStatusStopped,
			})
			if err != nil {
				return errLine(err)
			}
			return fmt.Sprintf("tasks=%d next=%v", len(out.TaskArns), out.NextToken != nil)
		},
		want: "tasks=0 next=false",
	},
	{
		name: "list_tasks_missing_cluster",
		run: func(t *testing.T, tg target) string {
			_, err := tg.ecs.ListTasks(testenv.Ctx(t), &ecs.ListTasksInput{Cluster: aws.String(tg.n.missing), DesiredStatus: ecstypes.DesiredStatusStopped})
			return errLine(err)
		},
		want: "error ClusterNotFoundException",
	},
	{
		name: "describe_unknown_task",
		run: func(t *testing.T, tg target) string {
			tg.seed.cluster(t, tg.n.cluster)
			task := "arn:aws:ecs:us-east-1:123456789012:task/" + tg.n.cluster + "/0123456789abcdef0123456789abcdef"
			out, err := tg.ecs.DescribeTasks(testenv.Ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(tg.n.cluster), Tasks: []string{task}})
			if err != nil {
				return errLine(err)
			}
			return fmt.Sprintf("tasks=%d failures=%v", len(out.Tasks), failuresView(out.Failures))
		},
		want:        "tasks=0 failures=[MISSING]",
		motoDiffers: "moto answers an unknown task with neither a task nor a failure; ECS reports it as a MISSING failure",
		motoWant:    "tasks=0 failures=[]",
	},
	{
		name: "describe_tasks_missing_cluster",
		run: func(t *testing.T, tg target) string {
			_, err := tg.ecs.DescribeTasks(testenv.Ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(tg.n.missing), Tasks: []string{"0123456789abcdef0123456789abcdef"}})
			return errLine(err)
		},
		want: "error ClusterNotFoundException",
	},

	// SSM: preflight asks which referenced parameters exist, never
	// decrypting.
	{
		name: "parameters_by_name",
		run: func(t *testing.T, tg target) string {
			found := "/" + tg.n.family + "/db"
			tg.seed.parameter(t, found)
			out, err := tg.ssm.GetParameters(testenv.Ctx(t), &ssm.GetParametersInput{Names: []string{found, "/" + tg.n.family + "/missing"}, WithDecryption: aws.Bool(false)})
			if err != nil {
				return errLine(err)
			}
			var names []string
			decrypted := false
			for _, p := range out.Parameters {
				names = append(names, aws.ToString(p.Name))
				decrypted = decrypted || aws.ToString(p.Value) == "s3cr3t-value"
			}
			return fmt.Sprintf("found=%v invalid=%v decrypted=%v", names, out.InvalidParameters, decrypted)
		},
		want: "found=[/F/db] invalid=[/F/missing] decrypted=false",
	},
	{
		name: "parameters_by_arn",
		run: func(t *testing.T, tg target) string {
			tg.seed.parameter(t, "/"+tg.n.family+"/db")
			id, err := tg.sts.GetCallerIdentity(testenv.Ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("caller identity: %v", err)
			}
			prefix := "arn:aws:ssm:" + testenv.MotoRegion + ":" + aws.ToString(id.Account) + ":parameter/" + tg.n.family
			out, err := tg.ssm.GetParameters(testenv.Ctx(t), &ssm.GetParametersInput{Names: []string{prefix + "/db", prefix + "/missing"}, WithDecryption: aws.Bool(false)})
			if err != nil {
				return errLine(err)
			}
			var invalid []string
			for _, n := range out.InvalidParameters {
				invalid = append(invalid, strings.TrimPrefix(n, prefix))
			}
			return fmt.Sprintf("found=%d invalid=%v", len(out.Parameters), invalid)
		},
		want:        "found=1 invalid=[/missing]",
		motoDiffers: "moto reports an existing parameter asked for by ARN as invalid; SSM accepts names or ARNs",
		motoWant:    "found=0 invalid=[/db /missing]",
	},
	{
		name: "parameters_more_than_ten",
		run: func(t *testing.T, tg target) string {
			var names []string
			for i := range 11 {
				names = append(names, fmt.Sprintf("/%s/p%d", tg.n.family, i))
			}
			_, err := tg.ssm.GetParameters(testenv.Ctx(t), &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(false)})
			if err == nil {
				return "answered"
			}
			return errLine(err)
		},
		want: "error ValidationException",
	},

	// CloudWatch Logs: preflight looks for log groups; the diagnosis reads
	// the tail of a stopped container's stream.
	{
		name: "log_groups_by_prefix",
		run: func(t *testing.T, tg target) string {
			for _, g := range []string{"/ecs/" + tg.n.family, "/ecs/" + tg.n.family + "b", "/other/" + tg.n.family} {
				tg.seed.logGroup(t, g)
			}
			out, err := tg.logs.DescribeLogGroups(testenv.Ctx(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/" + tg.n.family)})
			if err != nil {
				return errLine(err)
			}
			var groups []string
			for _, g := range out.LogGroups {
				groups = append(groups, aws.ToString(g.LogGroupName))
			}
			return fmt.Sprintf("%v next=%v", groups, aws.ToString(out.NextToken) != "")
		},
		want: "[/ecs/F /ecs/Fb] next=false",
	},
	{
		name: "log_events_tail_and_head",
		run: func(t *testing.T, tg target) string {
			group, stream := "/ecs/"+tg.n.family, "ecs/app/0123456789abcdef"
			tg.seed.logEvents(t, group, stream, "l0", "l1", "l2", "l3", "l4")
			var lines []string
			for _, head := range []bool{false, true} {
				out, err := tg.logs.GetLogEvents(testenv.Ctx(t), &cloudwatchlogs.GetLogEventsInput{
					LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(head), Limit: aws.Int32(2),
				})
				if err != nil {
					lines = append(lines, errLine(err))
					continue
				}
				var msgs []string
				for _, e := range out.Events {
					msgs = append(msgs, aws.ToString(e.Message))
				}
				lines = append(lines, fmt.Sprintf("head=%v %v", head, msgs))
			}
			return strings.Join(lines, "\n")
		},
		want: "head=false [l3 l4]\nhead=true [l0 l1]",
	},
	{
		name: "log_events_missing_stream_and_group",
		run: func(t *testing.T, tg target) string {
			tg.seed.logGroup(t, "/ecs/"+tg.n.family)
			var lines []string
			for _, group := range []string{"/ecs/" + tg.n.family, "/ecs/" + tg.n.missing} {
				_, err := tg.logs.GetLogEvents(testenv.Ctx(t), &cloudwatchlogs.GetLogEventsInput{
					LogGroupName: aws.String(group), LogStreamName: aws.String("ecs/app/0123"), StartFromHead: aws.Bool(false), Limit: aws.Int32(2),
				})
				lines = append(lines, fmt.Sprintf("%s: %s (%s)", group, errLine(err), awsx.Classify(err)))
			}
			return strings.Join(lines, "\n")
		},
		want: "/ecs/F: error ResourceNotFoundException (not-found)\n/ecs/M: error ResourceNotFoundException (not-found)",
	},

	// STS: the identity check.
	{
		name: "caller_identity",
		run: func(t *testing.T, tg target) string {
			out, err := tg.sts.GetCallerIdentity(testenv.Ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				return errLine(err)
			}
			account := aws.ToString(out.Account)
			return fmt.Sprintf("account=%v arn=%v userId=%v",
				regexp.MustCompile(`^\d{12}$`).MatchString(account),
				regexp.MustCompile(`^arn:aws:(sts|iam)::`+account+`:.+`).MatchString(aws.ToString(out.Arn)),
				aws.ToString(out.UserId) != "")
		},
		want: "account=true arn=true userId=true",
	},
}
