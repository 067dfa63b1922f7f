// Package testenv connects integration tests to the moto server that
// `make test` starts (scripts/with-moto.sh). Integration tests are never
// skipped silently: without the server they fail and say how to run them.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// MotoEnv names the variable that holds the moto endpoint.
const MotoEnv = "OMDEPLOY_TEST_MOTO"

// MotoRegion is the region integration tests work in.
const MotoRegion = "us-east-1"

// MotoEndpoint returns the moto endpoint, failing the test when it is not
// set or not on loopback: tests never talk to a real account.
func MotoEndpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv(MotoEnv)
	if ep == "" {
		t.Fatalf("%s is not set: integration tests need moto_server; run them with `make test` (or scripts/with-moto.sh go test ./...)", MotoEnv)
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		t.Fatalf("%s=%q is not a loopback URL; refusing to run", MotoEnv, ep)
	}
	return ep
}

// MotoClients returns the real SDK clients in MotoRegion with dummy static
// credentials, sending every call to endpoint (moto, or a proxy in front of
// it), so nothing in the credential chain can reach a real account.
func MotoClients(endpoint string) *awsx.Clients {
	cfg := aws.Config{
		Region:      MotoRegion,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	return awsx.New(cfg, awsx.RegionFromFlag, "", endpoint)
}

// Moto returns the real SDK clients pointed at the test run's moto.
func Moto(t testing.TB) *awsx.Clients {
	t.Helper()
	return MotoClients(MotoEndpoint(t))
}

// Unique returns prefix plus a random suffix, because every test package
// shares one moto server and must not see another's resources.
func Unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Ctx is a context for one test that ends with it.
func Ctx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
