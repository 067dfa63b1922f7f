// Package testenv connects integration tests to the moto server that
// `make test` starts (scripts/with-moto.sh). Integration tests are never
// skipped silently: without the server they fail and say how to run them.
// The work is done by internal/motoenv, which returns errors; this package
// only turns them into test failures and adds golden files.
package testenv

import (
	"context"
	"testing"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/motoenv"
)

// MotoEnv names the variable that holds the moto endpoint.
const MotoEnv = motoenv.Env

// MotoRegion is the region integration tests work in.
const MotoRegion = motoenv.Region

// Fixture is an ECS cluster with one service in moto.
type Fixture = motoenv.Fixture

// FixtureOptions shape NewFixture.
type FixtureOptions = motoenv.FixtureOptions

// MotoEndpoint returns the moto endpoint, failing the test when it is not
// set or not on loopback: tests never talk to a real account.
func MotoEndpoint(t testing.TB) string {
	t.Helper()
	ep, err := motoenv.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// MotoClients returns the real SDK clients in MotoRegion with dummy static
// credentials, sending every call to endpoint (moto, or a proxy in front of
// it).
func MotoClients(endpoint string) *awsx.Clients { return motoenv.Clients(endpoint) }

// Moto returns the real SDK clients pointed at the test run's moto.
func Moto(t testing.TB) *awsx.Clients {
	t.Helper()
	return motoenv.Clients(MotoEndpoint(t))
}

// Unique returns prefix plus a random suffix, because every test package
// shares one moto server and must not see another's resources.
func Unique(prefix string) string { return motoenv.Unique(prefix) }

// Ctx is a context for one test that ends with it.
func Ctx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// NewFixture creates a cluster, a log group, a task definition with two
// containers and a service in moto (see motoenv.NewFixture), failing the
// test when moto refuses.
func NewFixture(t testing.TB, c *awsx.Clients, o FixtureOptions) Fixture {
	t.Helper()
	f, err := motoenv.NewFixture(Ctx(t), c, o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// PutParameter creates an SSM SecureString parameter in region.
func PutParameter(t testing.TB, c *awsx.Clients, region, name string) {
	t.Helper()
	if err := motoenv.PutParameter(Ctx(t), c, region, name); err != nil {
		t.Fatal(err)
	}
}
