// Package secretref parses the Secrets Manager references of a task
// definition's secrets[].valueFrom, in every form ECS accepts:
//
//	arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME
//	arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME:JSON-KEY:VERSION-STAGE:VERSION-ID
//
// where NAME may carry Secrets Manager's six-character suffix (-AbCdEf)
// and each of the three trailing fields may be empty.
package secretref

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// Ref is one reference to a Secrets Manager secret.
type Ref struct {
	Partition string
	Region    string
	Account   string
	Name      string // as written: with its suffix for a full ARN, without for a partial one

	JSONKey      string // the key of a JSON secret ECS injects; "" for the whole value
	VersionStage string // e.g. AWSCURRENT, AWSPREVIOUS; "" for the default (AWSCURRENT)
	VersionID    string // a version's id; "" for the stage's
}

// IsSecretsManager reports whether valueFrom is a Secrets Manager ARN (the
// rest of valueFrom references are SSM parameters).
func IsSecretsManager(valueFrom string) bool {
	a, err := arn.Parse(valueFrom)
	return err == nil && a.Service == "secretsmanager"
}

var (
	accountRE = lazyre.New(`^[0-9]{12}$`)
	regionRE  = lazyre.New(`^[a-z]{2}(?:-[a-z]+)+-[0-9]+$`)
	// nameRE is Secrets Manager's alphabet for names: letters, digits and
	// /_+=.@- (no ":", which separates the trailing fields).
	// Both are compiled on first use: their long bounded repeats compile
	// to large programs, which start-up should not pay for.
	nameRE = lazyre.New(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	// fieldRE bounds a trailing field: no control characters, no ":".
	fieldRE = lazyre.New(`^[^:\x00-\x1f\x7f]{0,256}$`)
)

// Parse reads a Secrets Manager valueFrom.
func Parse(valueFrom string) (Ref, error) {
	a, err := arn.Parse(valueFrom)
	if err != nil {
		return Ref{}, fmt.Errorf("secret reference %q is not an ARN: %w", valueFrom, err)
	}
	if a.Service != "secretsmanager" {
		return Ref{}, fmt.Errorf("secret reference %q is not a Secrets Manager ARN (service %q)", valueFrom, a.Service)
	}
	if !regionRE().MatchString(a.Region) {
		return Ref{}, fmt.Errorf("secret reference %q names no valid region", valueFrom)
	}
	if !accountRE().MatchString(a.AccountID) {
		return Ref{}, fmt.Errorf("secret reference %q names no valid account", valueFrom)
	}
	rest, ok := strings.CutPrefix(a.Resource, "secret:")
	if !ok {
		return Ref{}, fmt.Errorf("secret reference %q does not name a secret (want ...:secret:NAME)", valueFrom)
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 4 {
		return Ref{}, fmt.Errorf("secret reference %q has %d fields after the name; ECS takes at most json-key:version-stage:version-id", valueFrom, len(parts)-1)
	}
	r := Ref{Partition: a.Partition, Region: a.Region, Account: a.AccountID, Name: parts[0]}
	if !nameRE().MatchString(r.Name) {
		return Ref{}, fmt.Errorf("secret reference %q: %q is not a secret name", valueFrom, r.Name)
	}
	fields := []*string{&r.JSONKey, &r.VersionStage, &r.VersionID}
	for i, p := range parts[1:] {
		if !fieldRE().MatchString(p) {
			return Ref{}, fmt.Errorf("secret reference %q: field %d is not valid", valueFrom, i+1)
		}
		*fields[i] = p
	}
	if r.Partition == "" {
		return Ref{}, fmt.Errorf("secret reference %q names no partition", valueFrom)
	}
	return r, nil
}

// SecretID is the secret's ARN without the trailing fields: what
// DescribeSecret takes, and what IAM policies name.
func (r Ref) SecretID() string {
	return arn.ARN{Partition: r.Partition, Service: "secretsmanager", Region: r.Region, AccountID: r.Account, Resource: "secret:" + r.Name}.String()
}

// String writes the reference back as ECS reads it, trailing empty fields
// dropped.
func (r Ref) String() string {
	s := r.SecretID()
	fields := []string{r.JSONKey, r.VersionStage, r.VersionID}
	n := len(fields)
	for n > 0 && fields[n-1] == "" {
		n--
	}
	for _, f := range fields[:n] {
		s += ":" + f
	}
	return s
}

// Version says which version ECS reads, for messages: the id, the stage,
// or the default AWSCURRENT.
func (r Ref) Version() string {
	switch {
	case r.VersionID != "":
		return "version id " + r.VersionID
	case r.VersionStage != "":
		return "version stage " + r.VersionStage
	}
	return "version stage AWSCURRENT"
}
