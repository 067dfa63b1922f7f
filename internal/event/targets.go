package event

import (
	"time"

	"github.com/omdeploy/omdeploy/internal/result"
)

// TargetHealth is the load balancer's view of the new tasks' targets in one
// target group while the rollout is in progress (DescribeTargetHealth),
// with the old targets still draining. It is emitted when it changes.
type TargetHealth struct {
	At      time.Time
	Service string
	Targets result.TargetGroupHealth
}

func (TargetHealth) isEvent()                   {}
func (e TargetHealth) at() time.Time            { return e.At }
func (e TargetHealth) withAt(t time.Time) Event { e.At = t; return e }
