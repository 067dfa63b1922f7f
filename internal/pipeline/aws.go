package pipeline

import (
	"github.com/omdeploy/omdeploy/deploy"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/preflight"
	"github.com/omdeploy/omdeploy/release"
)

// AWS is everything the stages ask of AWS, as the small interfaces each
// stage declares: the SDK clients in a real run, the simulator in the demo
// and in tests.
type AWS struct {
	Preflight *preflight.AWSAPIs
	ECS       deploy.ECSAPI
	Logs      func(region string) deploy.LogsAPI // log lines for diagnoses, in the log group's region
	Region    string                             // the run's region, for messages and awslogs without a region
	Tasks     release.ECSAPI                     // runs release and post_deploy tasks; nil: services with tasks fail

	// Err is why the clients could not be built (a missing profile): the
	// preflight stage reports it with its fix, and nothing else runs.
	Err error
}

// FromClients adapts the run's SDK clients; err is awsx.Load's error.
func FromClients(c *awsx.Clients, err error) AWS {
	if err != nil || c == nil {
		return AWS{Err: err}
	}
	return AWS{
		Preflight: preflight.FromClients(c),
		ECS:       c.ECS,
		Tasks:     c.ECS,
		Logs:      func(region string) deploy.LogsAPI { return c.LogsIn(region) },
		Region:    c.Region,
	}
}
