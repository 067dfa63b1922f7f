package app

import (
	"context"
	"fmt"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/scaffold"
	"github.com/omdeploy/omdeploy/internal/schedule"
)

// findScheduled fills in each discovered service's scheduled rules: those
// on the default event bus whose ECS targets run its family on its
// cluster. A config is still worth writing without them, so a failure
// (often a missing events:ListRuleNamesByTarget permission) is a warning.
func (env *runEnv) findScheduled(ctx context.Context, clients *awsx.Clients, services []scaffold.Service) {
	eb := awsx.NarrowEventBridge(clients.EventBridge())
	for i, s := range services {
		if s.ClusterARN == "" {
			continue
		}
		rules, err := schedule.Find(ctx, eb, s.ClusterARN, schedule.Family(s.TaskDefinition), 0)
		if err != nil {
			env.renderer.Report(event.Warning{Service: s.Service, Message: fmt.Sprintf("scheduled rules not looked up, add them under scheduled: by hand: %v", err)})
			continue
		}
		services[i].Scheduled = rules
	}
}
