package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/result"
)

// StatusText renders `omdeploy status` for a person: per service, its task
// definition and images, deployments with counts, recent events and drift.
func StatusText(statuses []result.ServiceStatus) string {
	var b strings.Builder
	for i, s := range statuses {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%s/%s)\n", s.Name, s.Cluster, s.Service)
		if !s.Found {
			b.WriteString("  not found\n")
		} else {
			fmt.Fprintf(&b, "  task definition: %s\n", s.TaskDefinition)
			for _, c := range s.Containers {
				essential := ""
				if c.Essential {
					essential = " (essential)"
				}
				fmt.Fprintf(&b, "    %s: %s%s\n", c.Name, c.Image, essential)
			}
			fmt.Fprintf(&b, "  tasks: desired %d, running %d, pending %d\n", s.Desired, s.Running, s.Pending)
			for _, d := range s.Deployments {
				state := d.RolloutState
				if state == "" {
					state = "-"
				}
				fmt.Fprintf(&b, "  deployment %s %s %s: desired %d, running %d, pending %d, failed %d (%s)\n",
					d.ID, d.Status, state, d.Desired, d.Running, d.Pending, d.Failed, d.TaskDefinition)
			}
			for _, e := range s.Events {
				fmt.Fprintf(&b, "  event %s %s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.Message)
			}
		}
		for _, d := range s.Drift {
			fmt.Fprintf(&b, "  drift: %s\n", d)
		}
	}
	return b.String()
}
