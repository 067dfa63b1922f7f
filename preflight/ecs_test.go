package preflight

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestECSChecks(t *testing.T) {
	t.Parallel()
	inProgress := func(w *world) {
		w.service.Deployments[0].RolloutState = ecstypes.DeploymentRolloutStateInProgress
		w.service.Deployments[0].RunningCount = 1
	}
	type want struct {
		status, runbookID string
		inMsg             []string
	}
	tests := []struct {
		name    string
		breakIt func(*world)
		force   bool
		cluster want
		service want
	}{
		{
			name:    "active",
			breakIt: func(*world) {},
			cluster: want{event.StatusPass, "", []string{"prod is ACTIVE in us-east-1"}},
			service: want{event.StatusPass, "", []string{"tech:7", "2/2 tasks running"}},
		},
		{
			name:    "cluster missing names it and the region",
			breakIt: func(w *world) { w.clusterStatus = "" },
			cluster: want{event.StatusFail, runbook.ECSClusterMissing, []string{"cluster prod not found in us-east-1"}},
			service: want{event.StatusSkip, "", []string{"see ecs.cluster"}},
		},
		{
			name:    "cluster inactive",
			breakIt: func(w *world) { w.clusterStatus = "INACTIVE" },
			cluster: want{event.StatusFail, runbook.ECSClusterMissing, []string{"is INACTIVE, not ACTIVE"}},
			service: want{event.StatusPass, "", nil},
		},
		{
			name:    "service missing names it, the cluster and the region",
			breakIt: func(w *world) { w.service = nil },
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusFail, runbook.ECSServiceMissing, []string{"service tech-gateway not found in cluster prod in us-east-1"}},
		},
		{
			name:    "service draining",
			breakIt: func(w *world) { w.service.Status = aws.String("DRAINING") },
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusFail, runbook.ECSServiceMissing, []string{"is DRAINING, not ACTIVE"}},
		},
		{
			name:    "deployment in progress",
			breakIt: inProgress,
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusFail, runbook.ECSDeploymentInProgress, []string{"ecs-svc/1 is IN_PROGRESS (1/2 tasks running"}},
		},
		{
			name:    "deployment in progress with --force",
			breakIt: inProgress,
			force:   true,
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusPass, "", []string{"deploying over it as asked (--force)"}},
		},
		{
			name: "old deployment still draining",
			breakIt: func(w *world) {
				w.service.Deployments = append(w.service.Deployments, ecstypes.Deployment{Id: aws.String("ecs-svc/0"), Status: aws.String("ACTIVE")})
			},
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusFail, runbook.ECSDeploymentInProgress, []string{"2 deployments are active"}},
		},
		{
			name: "CodeDeploy controller: nothing to deploy with UpdateService",
			breakIt: func(w *world) {
				w.service.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy}
			},
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusFail, runbook.ECSDeploymentController, []string{"uses the CODE_DEPLOY deployment controller"}},
		},
		{
			name: "external controller",
			breakIt: func(w *world) {
				w.service.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeExternal}
			},
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusFail, runbook.ECSDeploymentController, []string{"uses the EXTERNAL deployment controller"}},
		},
		{
			name: "ECS controller named explicitly",
			breakIt: func(w *world) {
				w.service.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs}
			},
			cluster: want{event.StatusPass, "", nil},
			service: want{event.StatusPass, "", []string{"2/2 tasks running"}},
		},
		{
			name:    "describe denied",
			breakIt: func(w *world) { w.ecsErr = apiErr("AccessDeniedException") },
			cluster: want{event.StatusFail, runbook.AWSAccessDenied, []string{"describe cluster prod in us-east-1", "AccessDeniedException"}},
			service: want{event.StatusFail, runbook.AWSAccessDenied, []string{"describe service tech-gateway in cluster prod (us-east-1)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			tt.breakIt(w)
			checks, _ := runWorld(t, w, func(o *Options) { o.AllowInProgress = tt.force })
			for id, wt := range map[string]want{IDECSCluster: tt.cluster, IDECSService: tt.service} {
				c := find(t, checks, id, testService)
				expect(t, c, wt.status, wt.runbookID, wt.inMsg...)
				if strings.HasPrefix(wt.runbookID, "ecs.") && !strings.Contains(c.Fix, "--region us-east-1") {
					t.Errorf("%s fix %q does not name the region", id, c.Fix)
				}
			}
		})
	}
}

func TestLogGroups(t *testing.T) {
	t.Parallel()
	setLogs := func(w *world, opts map[string]string) {
		w.taskDef.ContainerDefinitions[0].LogConfiguration.Options = opts
	}
	tests := []struct {
		name        string
		breakIt     func(*world)
		wantStatus  string
		wantRunbook string
		wantInMsg   string
	}{
		{"group exists", func(*world) {}, event.StatusPass, "", "app → /ecs/tech (us-east-1)"},
		{"group missing", func(w *world) {
			setLogs(w, map[string]string{"awslogs-group": "/ecs/teck", "awslogs-region": testRegion})
		}, event.StatusFail, runbook.LogsGroupMissing, "container app logs to /ecs/teck in us-east-1, which does not exist"},
		{"group in another region than awslogs-region", func(w *world) {
			setLogs(w, map[string]string{"awslogs-group": "/ecs/tech", "awslogs-region": "eu-west-1"})
		}, event.StatusFail, runbook.LogsGroupMissing, "/ecs/tech in eu-west-1"},
		{"a prefix is not the group", func(w *world) {
			setLogs(w, map[string]string{"awslogs-group": "/ecs/te"})
		}, event.StatusFail, runbook.LogsGroupMissing, "/ecs/te in us-east-1"},
		{"missing but created by the agent", func(w *world) {
			setLogs(w, map[string]string{"awslogs-group": "/ecs/new", "awslogs-create-group": "true"})
		}, event.StatusPass, "", "will be created on first start"},
		{"no awslogs container", func(w *world) {
			w.taskDef.ContainerDefinitions[0].LogConfiguration = nil
		}, event.StatusSkip, "", "no container of tech:7 logs with awslogs"},
		{"service missing", func(w *world) { w.service = nil }, event.StatusSkip, "", "service was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			tt.breakIt(w)
			checks, _ := runWorld(t, w, nil)
			c := find(t, checks, IDLogsGroup, testService)
			if c.Status != tt.wantStatus || c.RunbookID != tt.wantRunbook || !strings.Contains(c.Message, tt.wantInMsg) {
				t.Fatalf("logs.group = %+v, want %s %q containing %q", c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg)
			}
		})
	}
}
