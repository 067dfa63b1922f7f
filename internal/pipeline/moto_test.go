package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/testenv"
	"github.com/omdeploy/omdeploy/preflight"
)

// TestMotoDeploymentControllerStopsBeforeAnyWrite deploys to a service
// whose deployment controller is CODE_DEPLOY through the whole pipeline,
// with the real SDK clients against moto: preflight fails (exit 3) with the
// runbook's fix, and no task-definition revision is registered.
func TestMotoDeploymentControllerStopsBeforeAnyWrite(t *testing.T) {
	c := testenv.Moto(t)
	ctx := testenv.Ctx(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{Controller: ecstypes.DeploymentControllerTypeCodeDeploy})
	revisions := func() int {
		out, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(f.Family)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.TaskDefinitionArns)
	}
	before := revisions()
	svc := config.Service{Name: f.Service, Cluster: f.Cluster, Service: f.Service, Container: "app"}
	res, err := pipeline.Deploy(ctx, pipeline.Options{
		Config:   &config.File{Path: filepath.Join(t.TempDir(), "omdeploy.yaml"), Region: c.Region, Services: []config.Service{svc}},
		Services: []config.Service{svc},
		AWS:      pipeline.FromClients(c, nil),
		Engine:   deploy.Options{Tag: "v2"},
	})
	if got := failure.ExitCode(err); got != failure.ExitPreflight {
		t.Fatalf("exit = %d (%v), want %d", got, err, failure.ExitPreflight)
	}
	var found bool
	for _, ch := range res.Checks {
		if ch.ID == preflight.IDECSService {
			found = true
			if ch.RunbookID != runbook.ECSDeploymentController || ch.Fix == "" {
				t.Errorf("ecs.service = %+v, want %s with its fix", ch, runbook.ECSDeploymentController)
			}
		}
	}
	if !found {
		t.Errorf("no ecs.service check in %+v", res.Checks)
	}
	if len(res.Services) != 0 {
		t.Errorf("the engine ran: %+v", res.Services)
	}
	if after := revisions(); after != before {
		t.Errorf("task definition revisions %d → %d: a revision was registered", before, after)
	}
}
