package deploy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/middleware"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// claimServiceDeployment makes the client's UpdateService answers name a
// currentServiceDeployment, as AWS's do, so that a deploy against moto
// (whose answers name none) goes on to call DescribeServiceDeployments,
// which moto does not implement.
func claimServiceDeployment(o *ecs.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		// In the Initialize step the answer is already deserialised.
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("claimServiceDeployment",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if u, ok := out.Result.(*ecs.UpdateServiceOutput); ok && u.Service != nil {
					u.Service.CurrentServiceDeployment = aws.String(strings.Replace(aws.ToString(u.Service.ServiceArn), ":service/", ":service-deployment/", 1) + "/1")
				}
				return out, md, err
			}), middleware.Before)
	})
}

// TestMotoServiceDeploymentsFallBack deploys two services against moto,
// which has no service-deployment operations: the rollouts are followed
// through deployments[] with one warning for the run.
func TestMotoServiceDeploymentsFallBack(t *testing.T) {
	c := testenv.Moto(t)
	tests := []struct {
		name   string
		client func() *ecs.Client
		want   string // in the warning
	}{
		{"UpdateService names no service deployment", func() *ecs.Client { return c.ECS }, "UpdateService named no currentServiceDeployment"},
		{"DescribeServiceDeployments is unknown", func() *ecs.Client { return ecs.New(c.ECS.Options(), claimServiceDeployment) }, "DescribeServiceDeployments: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &event.Recorder{}
			f1 := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			f2 := testenv.NewFixture(t, c, testenv.FixtureOptions{})
			o := motoOptions(c, f1, rec)
			o.ECS = tt.client()
			o.Services = append(o.Services, config.Service{Name: f2.Service, Cluster: f2.Cluster, Service: f2.Service, Container: "app", WaitTimeout: o.Services[0].WaitTimeout})
			o.Tag = "v2"
			res, err := deploy.Deploy(testenv.Ctx(t), o)
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			var warnings []string
			for _, w := range event.Of[event.Warning](rec.Events()) {
				warnings = append(warnings, w.Message)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], tt.want) || !strings.Contains(warnings[0], "deployments[]") {
				t.Fatalf("warnings = %q, want one naming %q", warnings, tt.want)
			}
			t.Logf("warning: %s", warnings[0])
			for _, sr := range res.Services {
				if sr.RolloutState != "COMPLETED" || sr.Status != "" {
					t.Errorf("%s: rollout %q, service deployment status %q; want COMPLETED through deployments[]", sr.Name, sr.RolloutState, sr.Status)
				}
			}
		})
	}
}

// TestMotoHistoryAndRollbackFallBack reads history and rolls back against
// moto, which answers the service-deployment calls with an error: history
// shows deployments[], the rollback goes to the previous revision of the
// family, each with one warning.
func TestMotoHistoryAndRollbackFallBack(t *testing.T) {
	c := testenv.Moto(t)
	f1 := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	f2 := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	o := motoOptions(c, f1, &event.Recorder{})
	o.Services = append(o.Services, config.Service{Name: f2.Service, Cluster: f2.Cluster, Service: f2.Service, Container: "app", WaitTimeout: o.Services[0].WaitTimeout})
	o.Tag = "v2"
	if _, err := deploy.Deploy(testenv.Ctx(t), o); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	oneWarning := func(t *testing.T, rec *event.Recorder, want string) {
		t.Helper()
		warnings := event.Of[event.Warning](rec.Events())
		if len(warnings) != 1 || !strings.Contains(warnings[0].Message, "service deployments unavailable") || !strings.Contains(warnings[0].Message, want) {
			t.Fatalf("warnings = %+v, want one saying service deployments are unavailable and %q", warnings, want)
		}
		t.Logf("warning: %s", warnings[0].Message)
	}
	t.Run("history", func(t *testing.T) {
		rec := &event.Recorder{}
		o := o
		o.Reporter = rec
		hist, err := deploy.History(testenv.Ctx(t), o)
		if err != nil {
			t.Fatal(err)
		}
		oneWarning(t, rec, "deployments[]")
		for _, h := range hist {
			// moto keeps the deployments[] the service was created with.
			if h.Source != "deployments" || len(h.Deployments) == 0 || h.Deployments[0].TargetTaskDefinition == "" || h.Deployments[0].ID == "" {
				t.Errorf("%s: %+v, want the entries of deployments[]", h.Name, h)
			}
		}
	})
	t.Run("rollback", func(t *testing.T) {
		rec := &event.Recorder{}
		o := o
		o.Reporter, o.Tag = rec, ""
		res, err := deploy.Rollback(testenv.Ctx(t), o)
		if err != nil {
			t.Fatal(err)
		}
		oneWarning(t, rec, "previous ACTIVE revision")
		for _, sr := range res.Services {
			if !sr.RolledBack || !strings.HasSuffix(sr.TaskDefinition, ":1") {
				t.Errorf("%s: %+v, want rolled back to revision 1", sr.Name, sr)
			}
		}
	})
}
