package awsx

import "github.com/aws/aws-sdk-go-v2/service/eventbridge"

// EventBridge returns a new EventBridge client in the run's region, where
// a service's scheduled rules are looked for; callers keep the one they
// get. Building one makes no call.
func (c *Clients) EventBridge() *eventbridge.Client {
	return eventbridge.NewFromConfig(c.Config, func(o *eventbridge.Options) { c.override(&o.BaseEndpoint) })
}
