// Package motoenv reaches the moto server that `make test` and `make bench`
// start (scripts/with-moto.sh), builds the real SDK clients against it and
// creates fixtures there. It returns errors instead of failing a test, so
// that the benchmark driver can use it without linking package testing;
// internal/testenv wraps it for tests.
package motoenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// Env names the variable that holds the moto endpoint.
const Env = "OMDEPLOY_TEST_MOTO"

// Region is the region everything in moto is created in.
const Region = "us-east-1"

// Endpoint returns the moto endpoint from Env, refusing one that is unset
// or not on loopback: nothing here may talk to a real account.
func Endpoint() (string, error) {
	ep := os.Getenv(Env)
	if ep == "" {
		return "", fmt.Errorf("%s is not set: integration tests need moto_server; run them with `make test` (or scripts/with-moto.sh go test ./...)", Env)
	}
	if err := CheckLoopback(ep); err != nil {
		return "", err
	}
	return ep, nil
}

// CheckLoopback refuses an endpoint that is not on 127.0.0.1 or localhost.
func CheckLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return fmt.Errorf("%s=%q is not a loopback URL; refusing to run", Env, endpoint)
	}
	return nil
}

// Clients returns the real SDK clients in Region with dummy static
// credentials, sending every call to endpoint (moto, or a proxy in front of
// it), so nothing in the credential chain can reach a real account. They
// re-send a write whose answer was lost (awsx.Options.ResendWrites): moto
// drops a connection now and then, and a fixture is not the place where
// omdeploy's read-back of a lost write is tested (the fault tests are).
func Clients(endpoint string) *awsx.Clients {
	cfg := aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	return awsx.New(cfg, awsx.Options{RegionSource: awsx.RegionFromFlag, EndpointURL: endpoint, ResendWrites: true})
}

// Unique returns prefix plus a random suffix, because every test package
// and benchmark shares one moto server and must not see another's resources.
func Unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
