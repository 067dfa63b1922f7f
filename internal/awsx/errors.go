package awsx

import (
	"errors"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Kind is what an AWS error means for the operator.
type Kind int

// Kinds of AWS error, from the most to the least specific fix.
const (
	KindOther         Kind = iota
	KindExpired            // session token expired: refresh or re-assume
	KindInvalidToken       // key or token not recognised: wrong or revoked credentials
	KindNoCredentials      // nothing in the chain produced credentials
	KindSSOLogin           // the SSO session needs `aws sso login`
	KindNoProfile          // the named profile is not in ~/.aws/config
	KindDenied             // authenticated, but not allowed
	KindThrottled          // slow down and retry
	KindNotFound           // the named resource does not exist
)

// String names the kind for logs and tests.
func (k Kind) String() string {
	return [...]string{"other", "expired", "invalid-token", "no-credentials", "sso-login", "no-profile", "denied", "throttled", "not-found"}[k]
}

var codeKinds = map[string]Kind{
	"ExpiredToken":                KindExpired,
	"ExpiredTokenException":       KindExpired,
	"RequestExpired":              KindExpired,
	"TokenRefreshRequired":        KindExpired,
	"InvalidClientTokenId":        KindInvalidToken,
	"UnrecognizedClientException": KindInvalidToken,
	"SignatureDoesNotMatch":       KindInvalidToken,
	"InvalidSignatureException":   KindInvalidToken,
	"AuthFailure":                 KindInvalidToken,
	"AccessDenied":                KindDenied,
	"AccessDeniedException":       KindDenied,
	"UnauthorizedOperation":       KindDenied,
	"AuthorizationError":          KindDenied,
	"Throttling":                  KindThrottled,
	"ThrottlingException":         KindThrottled,
	"TooManyRequestsException":    KindThrottled,
	"RequestLimitExceeded":        KindThrottled,
	"ClusterNotFoundException":    KindNotFound,
	"ServiceNotFoundException":    KindNotFound,
	"ServiceNotActiveException":   KindNotFound,
	"ResourceNotFoundException":   KindNotFound,
	"ParameterNotFound":           KindNotFound,
	"NoSuchEntity":                KindNotFound,
}

// CodeClusterNotFound is ECS's error code for a cluster that does not
// exist; callers tell it from a missing service, which ECS reports as a
// failure in the answer instead.
const CodeClusterNotFound = "ClusterNotFoundException"

// Classify reads err's AWS error code with errors.As and says what it means.
func Classify(err error) Kind {
	if err == nil {
		return KindOther
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if k, ok := codeKinds[apiErr.ErrorCode()]; ok {
			return k
		}
	}
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return KindNoProfile
	}
	// The SDK's credential providers return unexported error types, so the
	// message is the only signal left for these two.
	msg := err.Error()
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "sso") && (strings.Contains(lower, "expired") || strings.Contains(msg, "InvalidGrant") || strings.Contains(lower, "refresh cached sso token") || strings.Contains(lower, "cached sso token")):
		return KindSSOLogin
	case strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to refresh cached credentials"):
		return KindNoCredentials
	}
	return KindOther
}

// Code returns err's AWS error code, or "".
func Code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// RequestID returns the AWS request ID of err, or "", so a failure can be
// matched with CloudTrail.
func RequestID(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.ServiceRequestID()
	}
	return ""
}

// RunbookID is the runbook entry that explains an AWS error by its kind:
// the credential entries, access denied, or a generic API error when AWS
// answered with a code no more specific entry covers. It is "" when AWS
// gave no code (the call never got an answer), which callers explain in
// their own terms: preflight as AWS unreachable, the engine by its stage.
func RunbookID(err error) string {
	switch Classify(err) {
	case KindExpired:
		return runbook.AWSExpiredToken
	case KindInvalidToken:
		return runbook.AWSInvalidToken
	case KindNoCredentials:
		return runbook.AWSNoCredentials
	case KindSSOLogin:
		return runbook.AWSSSOLogin
	case KindNoProfile:
		return runbook.AWSNoProfile
	case KindDenied:
		return runbook.AWSAccessDenied
	}
	if Code(err) != "" {
		return runbook.AWSAPIError
	}
	return ""
}
