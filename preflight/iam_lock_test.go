package preflight

import (
	"testing"

	"github.com/omdeploy/omdeploy/config"
)

// With `lock:` on, the simulation asks for the deploy lock's SSM calls on
// the lease parameter; without it, not at all.
func TestIAMSimulatesTheDeployLock(t *testing.T) {
	t.Parallel()
	const lease = "arn:aws:ssm:us-east-1:123456789012:parameter/omdeploy/locks/prod/tech-gateway"
	actions := []string{"ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameter"}
	tests := []struct {
		name string
		lock *config.Lock
		want []string // resources each action is simulated on
	}{
		{name: "locked", lock: &config.Lock{TTL: config.DefaultLockTTL}, want: []string{lease}},
		{name: "unlocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			_, _ = runWorld(t, w, func(o *Options) {
				for i := range o.Config.Services {
					o.Config.Services[i].Lock = tt.lock
				}
			})
			got := map[string][]string{}
			for _, in := range w.simInputs {
				for _, a := range in.ActionNames {
					got[a] = append(got[a], in.ResourceArns...)
				}
			}
			for _, a := range actions {
				if !containsAll(got[a], tt.want) || (tt.want == nil && got[a] != nil) {
					t.Errorf("%s simulated on %v, want %v", a, got[a], tt.want)
				}
			}
		})
	}
}
