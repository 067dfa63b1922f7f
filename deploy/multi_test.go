package deploy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/sim"
)

// TestDeploySeveralContainers: --image app=... --image worker=...
// registers one revision with both images and nothing else changed.
func TestDeploySeveralContainers(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		cur := h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api", Containers: []ecstypes.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("demo/app:v1"), Essential: aws.Bool(true)},
			{Name: aws.String("worker"), Image: aws.String("demo/worker:v1"), Essential: aws.Bool(true)},
			{Name: aws.String("envoy"), Image: aws.String("envoyproxy/envoy:v1.30"), Essential: aws.Bool(false)},
		}})
		o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: time.Minute})
		o.Images = map[string]string{"app": "demo/app:v2"}
		o.Tags = map[string]string{"worker": "v2"}
		res, err := h.run(context.Background(), deploy.Deploy, o)
		if err != nil {
			t.Fatal(err)
		}
		if n := h.sim.Calls()["RegisterTaskDefinition"]; n != 1 {
			t.Fatalf("%d revisions registered, want 1", n)
		}
		before, err := h.sim.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(cur)})
		if err != nil {
			t.Fatal(err)
		}
		after, err := h.sim.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(res.Services[0].TaskDefinition)})
		if err != nil {
			t.Fatal(err)
		}
		got := deploy.Diff(deploy.RegisterInput(*before.TaskDefinition, nil), deploy.RegisterInput(*after.TaskDefinition, nil))
		want := []result.Change{
			{Path: "containerDefinitions[app].image", Old: "demo/app:v1", New: "demo/app:v2"},
			{Path: "containerDefinitions[worker].image", Old: "demo/worker:v1", New: "demo/worker:v2"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the revision registered changes %+v, want %+v", got, want)
		}
		if p := res.Services[0].Plan; p == nil || len(p.Containers) != 2 {
			t.Errorf("plan %+v, want both containers", p)
		}
	})
}

// TestDeployUnknownContainer: a named container the task definition does
// not have is a config error, and nothing is registered.
func TestDeployUnknownContainer(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		h.sim.AddService(sim.ServiceSpec{Cluster: "prod", Name: "api"})
		o := h.opts(config.Service{Name: "api", Cluster: "prod", Service: "api", WaitTimeout: time.Minute})
		o.Images = map[string]string{"nope": "demo/x:v2"}
		_, err := h.run(context.Background(), deploy.Deploy, o)
		if err == nil || h.sim.Calls()["RegisterTaskDefinition"] != 0 {
			t.Fatalf("err %v, %d registered; want a config error and none", err, h.sim.Calls()["RegisterTaskDefinition"])
		}
	})
}
