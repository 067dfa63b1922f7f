package deploy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/sim"
)

var _ deploy.ServiceRevisionAPI = (*sim.Sim)(nil)

// deployTags deploys each tag to svc in turn; a failing deploy is expected
// only where fails says so.
func deployTags(t *testing.T, h *harness, svc config.Service, fails map[string]bool, tags ...string) {
	t.Helper()
	for _, tag := range tags {
		o := h.opts(svc)
		o.Tag = tag
		if _, err := h.run(context.Background(), deploy.Deploy, o); (err != nil) != fails[tag] {
			t.Fatalf("deploy %s: %v", tag, err)
		}
	}
}

// TestHistory deploys a canary three times, the second rolled back by ECS
// on an alarm, and reads the history back: newest first, each with its
// source and target task definitions and why it ended.
func TestHistory(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  []string // "status source->target reason-substring alarms", newest first
	}{
		{"default limit", 0, []string{
			"SUCCESSFUL api:2->api:4  ",
			"ROLLBACK_SUCCESSFUL api:2->api:3 alarm api-5xx api-5xx",
			"SUCCESSFUL api:1->api:2  ",
			"SUCCESSFUL ->api:1  ",
		}},
		{"limit 2", 2, []string{
			"SUCCESSFUL api:2->api:4  ",
			"ROLLBACK_SUCCESSFUL api:2->api:3 alarm api-5xx api-5xx",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
				h.sim.SetStrategy("prod", "api", sim.Strategy{Kind: ecstypes.DeploymentStrategyCanary, CanaryPct: 10, CanaryBake: 5 * time.Minute,
					Alarms: []string{"api-5xx"}, AlarmRollback: true})
				h.sim.Script("prod", "api", sim.Healthy(), sim.Healthy().AlarmAfter("api-5xx", 2*time.Minute), sim.Healthy())
				// v3 is rolled back by ECS to api:2, which v4 then starts from.
				deployTags(t, h, svc, map[string]bool{"v3": true}, "v2", "v3", "v4")
				o := h.opts(svc)
				o.Limit = tt.limit
				hist, err := deploy.History(context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				if len(hist) != 1 || hist[0].Source != result.HistoryServiceDeployments {
					t.Fatalf("history = %+v", hist)
				}
				var got []string
				for _, e := range hist[0].Deployments {
					reason := ""
					if strings.Contains(e.Reason, "api-5xx") {
						reason = "alarm api-5xx"
					}
					got = append(got, e.Status+" "+tail(e.SourceTaskDefinition)+"->"+tail(e.TargetTaskDefinition)+" "+reason+" "+strings.Join(e.TriggeredAlarms, ","))
					if e.ARN == "" || e.StartedAt.IsZero() || e.FinishedAt == nil || e.FinishedAt.Before(e.StartedAt) || e.Strategy == "" {
						t.Errorf("entry %+v: want an ARN, a strategy and start before finish", e)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("history\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
				if n := len(event.Of[event.Warning](h.rec.Events())); n != 0 {
					t.Errorf("%d warnings, want none", n)
				}
			})
		})
	}
}

func tail(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// TestHistoryFallsBack reads deployments[] where the service-deployment
// calls are unknown or denied, saying so once for all services.
func TestHistoryFallsBack(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness)
		want  string // in the warning
	}{
		{"unknown operation", func(h *harness) { h.sim.WithoutServiceDeployments() }, "UnknownOperationException"},
		{"access denied", func(h *harness) {
			h.sim.Fail("ListServiceDeployments", "AccessDeniedException", "User is not authorized to perform: ecs:ListServiceDeployments")
		}, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simTest(t, func(t *testing.T, h *harness) {
				api := h.service(sim.ServiceSpec{Name: "api", Desired: 1})
				web := h.service(sim.ServiceSpec{Name: "web", Desired: 1})
				deployTags(t, h, api, nil, "v2")
				tt.setup(h)
				hist, err := deploy.History(context.Background(), h.opts(api, web))
				if err != nil {
					t.Fatal(err)
				}
				warnings := event.Of[event.Warning](h.rec.Events())
				if len(warnings) != 1 || !strings.Contains(warnings[0].Message, tt.want) || !strings.Contains(warnings[0].Message, "deployments[]") {
					t.Errorf("warnings = %+v, want one naming %q and deployments[]", warnings, tt.want)
				}
				if len(hist) != 2 {
					t.Fatalf("history = %+v", hist)
				}
				for _, sh := range hist {
					if sh.Source != result.HistoryDeployments || len(sh.Deployments) == 0 {
						t.Errorf("%s: %+v, want deployments[] entries", sh.Name, sh)
					}
				}
				if e := hist[0].Deployments[0]; e.ID == "" || tail(e.TargetTaskDefinition) != "api:2" || e.Status != "COMPLETED" {
					t.Errorf("api's newest entry %+v, want the COMPLETED deployment of api:2", e)
				}
			})
		})
	}
}

// TestHistoryOfAMissingService fails that service alone, at the preflight
// stage with the not-found runbook entry.
func TestHistoryOfAMissingService(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		api := h.service(sim.ServiceSpec{Name: "api", Desired: 1})
		gone := config.Service{Name: "gone", Cluster: "prod", Service: "gone"}
		hist, err := deploy.History(context.Background(), h.opts(api, gone))
		if failure.ExitCode(err) != failure.ExitPreflight || failure.RunbookIDOf(err) != runbook.RolloutNotFound {
			t.Fatalf("err = %v (exit %d, runbook %q)", err, failure.ExitCode(err), failure.RunbookIDOf(err))
		}
		if len(hist) != 2 || len(hist[0].Deployments) != 1 || hist[1].Deployments == nil {
			t.Errorf("history = %+v", hist)
		}
	})
}

// TestRollbackUndoesTheLastServiceDeployment deploys from revision 3 to 7
// (4 to 6 were registered by someone else and never ran): the rollback
// goes back to 3, the source of the last service deployment, not to 6.
func TestRollbackUndoesTheLastServiceDeployment(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
		deployTags(t, h, svc, nil, "v2", "v3")
		for range 3 {
			td, err := h.sim.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:3")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.sim.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
				Family: aws.String("api"), ContainerDefinitions: td.TaskDefinition.ContainerDefinitions,
			}); err != nil {
				t.Fatal(err)
			}
		}
		deployTags(t, h, svc, nil, "v7")
		if got := tail(currentTaskDef(t, h)); got != "api:7" {
			t.Fatalf("service runs %s before the rollback, want api:7", got)
		}
		res, err := h.run(context.Background(), deploy.Rollback, h.opts(svc))
		if err != nil {
			t.Fatal(err)
		}
		if got := tail(currentTaskDef(t, h)); got != "api:3" || !res.Services[0].RolledBack {
			t.Fatalf("service runs %s after the rollback (result %+v), want api:3", got, res.Services[0])
		}
		starts := event.Of[event.RollbackStarted](h.rec.Events())
		if len(starts) == 0 || !strings.Contains(starts[len(starts)-1].Undoes, ":service-deployment/") {
			t.Errorf("rollback started %+v, want it to name the service deployment it undoes", starts)
		} else if got := res.Services[0].UndoneServiceDeployment; got != starts[len(starts)-1].Undoes {
			t.Errorf("result undone_service_deployment %q, want %q", got, starts[len(starts)-1].Undoes)
		}
		// Rolled back once more, it undoes the rollback: to 7 again.
		if _, err := h.run(context.Background(), deploy.Rollback, h.opts(svc)); err != nil {
			t.Fatal(err)
		}
		if got := tail(currentTaskDef(t, h)); got != "api:7" {
			t.Errorf("second rollback: service runs %s, want api:7", got)
		}
	})
}

// TestRollbackAfterECSRolledBack changes nothing: the service already runs
// the last deployment's source revision.
func TestRollbackAfterECSRolledBack(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
		h.sim.SetStrategy("prod", "api", sim.Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: 5 * time.Minute, Alarms: []string{"api-5xx"}, AlarmRollback: true})
		h.sim.Script("prod", "api", sim.Healthy(), sim.Healthy().AlarmAfter("api-5xx", 2*time.Minute))
		deployTags(t, h, svc, map[string]bool{"v3": true}, "v2", "v3")
		updates := h.sim.Calls()["UpdateService"]
		res, err := h.run(context.Background(), deploy.Rollback, h.opts(svc))
		if err != nil {
			t.Fatal(err)
		}
		if n := h.sim.Calls()["UpdateService"] - updates; n != 0 || res.Services[0].RolledBack {
			t.Errorf("%d updates, result %+v: want nothing changed", n, res.Services[0])
		}
		warnings := event.Of[event.Warning](h.rec.Events())
		if len(warnings) == 0 || !strings.Contains(warnings[len(warnings)-1].Message, "ECS rolled that deployment back already") {
			t.Errorf("warnings %+v, want one saying ECS rolled back already", warnings)
		}
	})
}

// TestRollbackFallsBack keeps the previous-revision rule where service
// deployments cannot be read, with one warning.
func TestRollbackFallsBack(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api", Desired: 2})
		deployTags(t, h, svc, nil, "v2", "v3")
		h.sim.Fail("ListServiceDeployments", "AccessDeniedException", "User is not authorized to perform: ecs:ListServiceDeployments")
		if _, err := h.run(context.Background(), deploy.Rollback, h.opts(svc)); err != nil {
			t.Fatal(err)
		}
		if got := tail(currentTaskDef(t, h)); got != "api:2" {
			t.Errorf("service runs %s, want api:2", got)
		}
		warnings := event.Of[event.Warning](h.rec.Events())
		if len(warnings) != 1 || !strings.Contains(warnings[0].Message, "previous ACTIVE revision") {
			t.Errorf("warnings %+v, want one about the fallback", warnings)
		}
	})
}

// pagedSD answers ListServiceDeployments in pages of 5, as AWS may, and
// records the batch sizes of the describes.
type pagedSD struct {
	*batchSizes
	revBatches []int
}

func (p *pagedSD) ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	all, err := p.Sim.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: in.Cluster, Service: in.Service, MaxResults: aws.Int32(100)}, opts...)
	if err != nil {
		return nil, err
	}
	from := 0
	if in.NextToken != nil {
		if _, err := fmt.Sscan(*in.NextToken, &from); err != nil {
			return nil, fmt.Errorf("next token %q: %w", *in.NextToken, err)
		}
	}
	to := min(from+5, len(all.ServiceDeployments), from+int(aws.ToInt32(in.MaxResults)))
	out := &ecs.ListServiceDeploymentsOutput{ServiceDeployments: all.ServiceDeployments[from:to]}
	if to < len(all.ServiceDeployments) {
		out.NextToken = aws.String(fmt.Sprint(to))
	}
	return out, nil
}

func (p *pagedSD) DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsInput, opts ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error) {
	p.mu.Lock()
	p.revBatches = append(p.revBatches, len(in.ServiceRevisionArns))
	p.mu.Unlock()
	return p.Sim.DescribeServiceRevisions(ctx, in, opts...)
}

// TestHistoryPagesAndBatches reads 22 of a service's 25 service
// deployments: listed over pages, described 20 ARNs per call, their
// revisions 20 per call.
func TestHistoryPagesAndBatches(t *testing.T) {
	simTest(t, func(t *testing.T, h *harness) {
		svc := h.service(sim.ServiceSpec{Name: "api", Desired: 1})
		for i := range 24 {
			deployTags(t, h, svc, nil, fmt.Sprintf("v%d", i+2))
		}
		api := &pagedSD{batchSizes: &batchSizes{Sim: h.sim}}
		o := h.opts(svc)
		o.ECS, o.Limit = api, 22
		hist, err := deploy.History(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		entries := hist[0].Deployments
		if len(entries) != 22 || tail(entries[0].TargetTaskDefinition) != "api:25" || tail(entries[21].SourceTaskDefinition) != "api:3" {
			t.Fatalf("%d entries, newest %+v, oldest %+v", len(entries), entries[0], entries[len(entries)-1])
		}
		for i, e := range entries {
			if want := fmt.Sprintf("api:%d", 25-i); tail(e.TargetTaskDefinition) != want {
				t.Errorf("entry %d targets %s, want %s: not newest first", i, e.TargetTaskDefinition, want)
			}
		}
		if !slices.Equal(api.sizes, []int{20, 2}) || !slices.Equal(api.revBatches, []int{20, 3}) {
			t.Errorf("DescribeServiceDeployments batches %v, DescribeServiceRevisions batches %v; want [20 2] and [20 3]", api.sizes, api.revBatches)
		}
	})
}
