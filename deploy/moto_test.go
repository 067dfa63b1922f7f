package deploy_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// motoOptions deploys the fixture's app container with the real SDK
// clients pointed at moto, on the real clock with fast polls.
func motoOptions(c *awsx.Clients, f testenv.Fixture, rec *event.Recorder) deploy.Options {
	return deploy.Options{
		Services: []config.Service{{Name: f.Service, Cluster: f.Cluster, Service: f.Service, Container: "app", WaitTimeout: 20 * time.Second}},
		ECS:      c.ECS,
		Logs:     func(region string) deploy.LogsAPI { return c.LogsIn(region) },
		Region:   c.Region,
		Poll:     deploy.PollPolicy{Interval: 100 * time.Millisecond},
		Reporter: rec,
	}
}

func describeService(t *testing.T, c *awsx.Clients, f testenv.Fixture) ecstypes.Service {
	t.Helper()
	out, err := c.ECS.DescribeServices(testenv.Ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(f.Cluster), Services: []string{f.Service}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service: %v %+v", err, out)
	}
	return out.Services[0]
}

func describeTaskDef(t *testing.T, c *awsx.Clients, name string) (ecstypes.TaskDefinition, []ecstypes.Tag) {
	t.Helper()
	out, err := c.ECS.DescribeTaskDefinition(testenv.Ctx(t), &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(name), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		t.Fatalf("describe task definition %s: %v", name, err)
	}
	return *out.TaskDefinition, out.Tags
}

// TestMotoDeployRegistersTheRightRevision deploys with --image and --tag
// and compares the whole new revision with the old one: only the app
// container's image differs.
func TestMotoDeployRegistersTheRightRevision(t *testing.T) {
	tests := []struct {
		name      string
		image     string
		tag       string
		wantImage string
	}{
		{name: "image", image: "repo/app:v2", wantImage: "repo/app:v2"},
		{name: "tag", tag: "v3", wantImage: "repo/app:v3"},
	}
	c := testenv.Moto(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			if _, err := c.ECS.TagResource(testenv.Ctx(t), &ecs.TagResourceInput{
				ResourceArn: aws.String(f.TaskDefinition), Tags: []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
			}); err != nil {
				t.Fatal(err)
			}
			rec := &event.Recorder{}
			o := motoOptions(c, f, rec)
			o.Image, o.Tag = tt.image, tt.tag
			res, err := deploy.Deploy(testenv.Ctx(t), o)
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			sr := res.Services[0]
			if sr.Stage != failure.StageDone || !strings.HasSuffix(sr.TaskDefinition, f.Family+":2") || sr.PreviousTaskDefinition != f.TaskDefinition {
				t.Fatalf("result = %+v", sr)
			}
			if got := aws.ToString(describeService(t, c, f).TaskDefinition); got != sr.TaskDefinition {
				t.Fatalf("service runs %s, want %s", got, sr.TaskDefinition)
			}
			old, oldTags := describeTaskDef(t, c, f.TaskDefinition)
			neu, newTags := describeTaskDef(t, c, sr.TaskDefinition)
			if aws.ToString(neu.ContainerDefinitions[0].Image) != tt.wantImage {
				t.Fatalf("app image = %s, want %s", aws.ToString(neu.ContainerDefinitions[0].Image), tt.wantImage)
			}
			want := append([]ecstypes.ContainerDefinition(nil), old.ContainerDefinitions...)
			want[0].Image = aws.String(tt.wantImage)
			if !reflect.DeepEqual(neu.ContainerDefinitions, want) {
				t.Fatalf("container definitions differ beyond the app image:\nnew  %+v\nwant %+v", neu.ContainerDefinitions, want)
			}
			if aws.ToString(neu.Cpu) != aws.ToString(old.Cpu) || aws.ToString(neu.Memory) != aws.ToString(old.Memory) ||
				neu.NetworkMode != old.NetworkMode || !reflect.DeepEqual(neu.RequiresCompatibilities, old.RequiresCompatibilities) ||
				aws.ToString(neu.ExecutionRoleArn) != aws.ToString(old.ExecutionRoleArn) || aws.ToString(neu.TaskRoleArn) != aws.ToString(old.TaskRoleArn) {
				t.Fatalf("task-level fields changed:\nold %+v\nnew %+v", old, neu)
			}
			if !reflect.DeepEqual(newTags, oldTags) || len(newTags) != 1 {
				t.Fatalf("tags = %+v, want %+v", newTags, oldTags)
			}
		})
	}
}

func TestMotoDeploySameImageRegistersNothing(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	o := motoOptions(c, f, &event.Recorder{})
	o.Image = "repo/app:v1"
	res, err := deploy.Deploy(testenv.Ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Services[0].TaskDefinition != f.TaskDefinition {
		t.Fatalf("task definition = %s, want the current %s", res.Services[0].TaskDefinition, f.TaskDefinition)
	}
	list, err := c.ECS.ListTaskDefinitions(testenv.Ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(f.Family)})
	if err != nil || len(list.TaskDefinitionArns) != 1 {
		t.Fatalf("revisions = %v (%v), want only the first", list.TaskDefinitionArns, err)
	}
}

func TestMotoForceNewDeploymentStartsANewDeployment(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	before := aws.ToString(describeService(t, c, f).Deployments[0].Id)
	o := motoOptions(c, f, &event.Recorder{})
	o.ForceNewDeployment = true
	res, err := deploy.Deploy(testenv.Ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if id := res.Services[0].DeploymentID; id == "" || id == before {
		t.Fatalf("deployment %q, want a new one (was %s)", id, before)
	}
	if got := aws.ToString(describeService(t, c, f).Deployments[0].Id); got != res.Services[0].DeploymentID {
		t.Fatalf("service's deployment is %s, want the one followed, %s", got, res.Services[0].DeploymentID)
	}
}

func TestMotoRollbackReturnsToThePreviousRevision(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	o := motoOptions(c, f, &event.Recorder{})
	o.Image = "repo/app:v2"
	if _, err := deploy.Deploy(testenv.Ctx(t), o); err != nil {
		t.Fatal(err)
	}
	res, err := deploy.Rollback(testenv.Ctx(t), motoOptions(c, f, &event.Recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(describeService(t, c, f).TaskDefinition); got != f.TaskDefinition {
		t.Fatalf("service runs %s after rollback, want %s", got, f.TaskDefinition)
	}
	if sr := res.Services[0]; !sr.RolledBack || sr.TaskDefinition != f.TaskDefinition {
		t.Fatalf("result = %+v", sr)
	}
}

func TestMotoStatusReportsTheDeployment(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	o := motoOptions(c, f, &event.Recorder{})
	o.Services = append(o.Services, config.Service{Name: "ghost", Cluster: f.Cluster, Service: "ghost"})
	st, err := deploy.Status(testenv.Ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	s := st[0]
	if !s.Found || s.TaskDefinition != f.TaskDefinition || len(s.Deployments) != 1 || s.Deployments[0].RolloutState != "COMPLETED" ||
		s.Deployments[0].Status != "PRIMARY" || len(s.Containers) != 2 || s.Containers[0].Image != "repo/app:v1" || len(s.Drift) != 0 {
		t.Fatalf("status = %+v", s)
	}
	if st[1].Found || !strings.Contains(strings.Join(st[1].Drift, ""), "service ghost not found in cluster "+f.Cluster+", region us-east-1") {
		t.Fatalf("ghost = %+v", st[1])
	}
}

// TestMotoWaitTimesOut follows a deployment moto keeps IN_PROGRESS (3
// desired, 1 running) until the service's wait_timeout.
func TestMotoWaitTimesOut(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{DesiredCount: 3})
	o := motoOptions(c, f, &event.Recorder{})
	o.Services[0].WaitTimeout = 2 * time.Second
	began := time.Now()
	res, err := deploy.Wait(testenv.Ctx(t), o)
	took := time.Since(began)
	if failure.ExitCode(err) != failure.ExitRollout || !errors.Is(err, deploy.ErrTimedOut) {
		t.Fatalf("err = %v (exit %d), want a rollout timeout", err, failure.ExitCode(err))
	}
	if took < 2*time.Second || took > 6*time.Second {
		t.Fatalf("wait took %s, want about the 2s wait_timeout", took)
	}
	if sr := res.Services[0]; sr.RolloutState != "IN_PROGRESS" || sr.DeploymentID == "" || !strings.Contains(err.Error(), "1/3 running") {
		t.Fatalf("result = %+v, err = %v", sr, err)
	}
}

func TestMotoNotFoundNamesTheRegion(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	tests := []struct {
		name, cluster, service, want string
	}{
		{"service", f.Cluster, "nope", "service nope not found in cluster " + f.Cluster + ", region us-east-1"},
		{"cluster", "no-such-cluster", f.Service, "cluster no-such-cluster not found in region us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := motoOptions(c, f, &event.Recorder{})
			o.Services = []config.Service{{Name: tt.service, Cluster: tt.cluster, Service: tt.service}}
			o.Image = "repo/app:v2"
			_, err := deploy.Deploy(testenv.Ctx(t), o)
			if failure.ExitCode(err) != failure.ExitRollout || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (exit %d), want exit 4 saying %q", err, failure.ExitCode(err), tt.want)
			}
		})
	}
}
