package secretref

import (
	"strings"
	"testing"
)

const base = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Ref
		wantErr  bool
	}{
		{name: "full ARN", in: base, want: Ref{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "prod/db-AbCdEf"}},
		{name: "partial ARN", in: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", want: Ref{Partition: "aws", Region: "us-east-1", Account: "123456789012", Name: "db"}},
		{name: "json key", in: base + ":password::", want: Ref{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "prod/db-AbCdEf", JSONKey: "password"}},
		{name: "stage only", in: base + "::AWSPREVIOUS:", want: Ref{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "prod/db-AbCdEf", VersionStage: "AWSPREVIOUS"}},
		{name: "all three", in: base + ":k:AWSCURRENT:v-1", want: Ref{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "prod/db-AbCdEf", JSONKey: "k", VersionStage: "AWSCURRENT", VersionID: "v-1"}},
		{name: "version id only", in: base + ":::0f1e2d", want: Ref{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "prod/db-AbCdEf", VersionID: "0f1e2d"}},
		{name: "china partition", in: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x", want: Ref{Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012", Name: "x"}},
		{name: "too many fields", in: base + ":a:b:c:d", wantErr: true},
		{name: "ssm ARN", in: "arn:aws:ssm:us-east-1:123456789012:parameter/x", wantErr: true},
		{name: "plain name", in: "/tech/db-url", wantErr: true},
		{name: "no region", in: "arn:aws:secretsmanager::123456789012:secret:x", wantErr: true},
		{name: "bad account", in: "arn:aws:secretsmanager:us-east-1:1234:secret:x", wantErr: true},
		{name: "not a secret", in: "arn:aws:secretsmanager:us-east-1:123456789012:other:x", wantErr: true},
		{name: "empty name", in: "arn:aws:secretsmanager:us-east-1:123456789012:secret:", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) = %+v, %v; wantErr %v", tt.in, got, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err == nil && got.SecretID() != strings.Join(strings.SplitN(tt.in, ":", 8)[:7], ":") {
				t.Fatalf("SecretID = %q", got.SecretID())
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{name: "default", in: base, want: "version stage AWSCURRENT"},
		{name: "stage", in: base + "::AWSPENDING:", want: "version stage AWSPENDING"},
		{name: "id wins", in: base + "::AWSPENDING:abc", want: "version id abc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Version(); got != tt.want {
				t.Fatalf("Version = %q, want %q", got, tt.want)
			}
		})
	}
}
