package awsx

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestClassify(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("operation error STS: GetCallerIdentity: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, KindOther},
		{"expired token", api("ExpiredToken"), KindExpired},
		{"expired token exception", api("ExpiredTokenException"), KindExpired},
		{"invalid token", api("InvalidClientTokenId"), KindInvalidToken},
		{"access denied", api("AccessDenied"), KindDenied},
		{"access denied exception", api("AccessDeniedException"), KindDenied},
		{"throttled", api("ThrottlingException"), KindThrottled},
		{"cluster not found", api("ClusterNotFoundException"), KindNotFound},
		{"unknown code", api("Weird"), KindOther},
		{"missing profile", fmt.Errorf("load: %w", config.SharedConfigProfileNotExistError{Profile: "p"}), KindNoProfile},
		{"sso expired", errors.New("operation error STS: GetCallerIdentity, get identity: get credentials: failed to refresh cached credentials, refresh cached SSO token failed, unable to refresh SSO token, operation error SSO OIDC: CreateToken, InvalidGrantException"), KindSSOLogin},
		{"sso never logged in", errors.New("get credentials: failed to refresh cached credentials, failed to read cached SSO token file, open /root/.aws/sso/cache/x.json: no such file or directory"), KindSSOLogin},
		{"no credentials", errors.New("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found"), KindNoCredentials},
		{"plain", errors.New("boom"), KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Fatalf("Classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunbookID(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("operation error ECS: DescribeServices: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"expired token", api("ExpiredTokenException"), runbook.AWSExpiredToken},
		{"invalid token", api("UnrecognizedClientException"), runbook.AWSInvalidToken},
		{"denied", api("AccessDeniedException"), runbook.AWSAccessDenied},
		{"missing profile", config.SharedConfigProfileNotExistError{Profile: "p"}, runbook.AWSNoProfile},
		{"other code", api("InvalidParameterException"), runbook.AWSAPIError},
		{"no answer", errors.New("dial tcp: connection refused"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RunbookID(tt.err); got != tt.want {
				t.Fatalf("RunbookID = %q, want %q", got, tt.want)
			}
		})
	}
}
