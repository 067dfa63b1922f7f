package secretref

import (
	"strings"
	"testing"
)

// FuzzParse checks Secrets Manager reference parsing: no panic; an accepted
// reference writes back (String) to one that parses to the same Ref; its
// SecretID is a prefix of the input and carries none of the trailing
// fields; IsSecretsManager agrees with every accepted input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		base, base + ":k::", base + "::AWSPREVIOUS:", base + ":k:AWSCURRENT:v1", base + ":a:b:c:d",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:", "arn:aws:ssm:us-east-1:123456789012:parameter/x",
		"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x", "arn:::::", "/plain",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Parse(in)
		if err != nil {
			return
		}
		if !IsSecretsManager(in) {
			t.Fatalf("Parse(%q) accepted what IsSecretsManager refuses", in)
		}
		again, err := Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("Parse(%q) = %+v, written %q, parses to %+v, %v", in, r, r.String(), again, err)
		}
		id := r.SecretID()
		if !strings.HasPrefix(in, id) || strings.Count(id, ":") != 6 {
			t.Fatalf("SecretID of %q = %q", in, id)
		}
	})
}
