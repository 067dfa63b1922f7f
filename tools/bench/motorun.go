package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/omdeploy/omdeploy/internal/motoenv"
)

// motoAccount is services spread over clusters in moto, with the config
// file that deploys all of them.
type motoAccount struct {
	fixtures []motoFixture
	config   string // path of omdeploy.yaml naming every service
}

// services is the number of services in the account.
func (a motoAccount) services() int {
	n := 0
	for _, f := range a.fixtures {
		n += len(f.services)
	}
	return n
}

// newMotoAccount creates clusters clusters of perCluster services each in
// moto (not counted) and writes their config under dir.
func newMotoAccount(ctx context.Context, motoURL, dir string, clusters, perCluster int) (motoAccount, error) {
	var a motoAccount
	c := motoenv.Clients(motoURL)
	for range clusters {
		f, err := newMotoFixture(ctx, c, perCluster)
		if err != nil {
			return a, err
		}
		a.fixtures = append(a.fixtures, f)
	}
	var cfg strings.Builder
	cfg.WriteString("region: us-east-1\nservices:\n")
	for _, f := range a.fixtures {
		for _, s := range f.services {
			// Names are unique in the config: one cluster's svc-00 is not
			// another's.
			fmt.Fprintf(&cfg, "  - name: %s-%s\n    cluster: %s\n    service: %s\n    container: app\n    wait_timeout: 2m\n", f.cluster, s, f.cluster, s)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return a, err
	}
	a.config = filepath.Join(dir, "omdeploy.yaml")
	return a, os.WriteFile(a.config, []byte(cfg.String()), 0o600)
}

// deployArgs are the binary's arguments to deploy image to every service
// of the account through endpoint, plus extra.
func (a motoAccount) deployArgs(endpoint, image string, extra ...string) []string {
	args := []string{"deploy", "--config", a.config, "--endpoint-url", endpoint, "--image", image, "--output", "json"}
	return append(args, extra...)
}
