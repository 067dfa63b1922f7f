package testenv

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestFixtureInMoto proves the harness: a fixture's service exists in moto
// with one COMPLETED deployment of revision 1.
func TestFixtureInMoto(t *testing.T) {
	c := Moto(t)
	f := NewFixture(t, c, FixtureOptions{})
	out, err := c.ECS.DescribeServices(Ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(f.Cluster), Services: []string{f.Service}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 1 || len(out.Services[0].Deployments) != 1 {
		t.Fatalf("services = %+v", out.Services)
	}
	d := out.Services[0].Deployments[0]
	if d.RolloutState != "COMPLETED" || aws.ToString(d.TaskDefinition) != f.TaskDefinition {
		t.Fatalf("deployment = %s %s, want COMPLETED %s", d.RolloutState, aws.ToString(d.TaskDefinition), f.TaskDefinition)
	}
}
