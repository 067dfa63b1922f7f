package sim_test

import (
	"github.com/omdeploy/omdeploy/internal/sim"
	"github.com/omdeploy/omdeploy/preflight"
)

// The demo runs the real preflight against the simulator.
var (
	_ preflight.STSAPI  = (*sim.Sim)(nil)
	_ preflight.IAMAPI  = (*sim.Sim)(nil)
	_ preflight.ECSAPI  = (*sim.Sim)(nil)
	_ preflight.SSMAPI  = (*sim.Sim)(nil)
	_ preflight.LogsAPI = (*sim.Sim)(nil)

	_ preflight.ECRAPI            = (*sim.Sim)(nil)
	_ preflight.SecretsManagerAPI = (*sim.Sim)(nil)
)
