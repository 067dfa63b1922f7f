package runbook

// IDs of failures in who omdeploy runs as and where: credentials, account,
// region. The runbook's "AccessDenied: wrong role or expired token" splits
// into these, because each has a different fix.
const (
	AWSExpiredToken   = "aws.expired-token"
	AWSInvalidToken   = "aws.invalid-token"
	AWSNoCredentials  = "aws.no-credentials"
	AWSSSOLogin       = "aws.sso-login"
	AWSNoProfile      = "aws.no-profile"
	AWSWrongAccount   = "aws.wrong-account"
	AWSNoRegion       = "aws.no-region"
	AWSRegionMismatch = "aws.region-mismatch"
	AWSAccessDenied   = "aws.access-denied"
	AWSUnreachable    = "aws.unreachable"
	AWSAPIError       = "aws.api-error"
)

var credentialEntries = []Entry{
	{
		ID:        AWSExpiredToken,
		Title:     "The AWS session token has expired",
		Symptom:   "AWS calls fail with ExpiredToken or ExpiredTokenException; the same command worked an hour ago.",
		Diagnosis: "Temporary credentials (an assumed role, an SSO or MFA session, exported AWS_SESSION_TOKEN) outlived their expiry.",
		Fix:       "Get fresh credentials for profile {profile}: `aws sso login --profile {profile}` for an SSO profile; for an assumed role, assume it again (`aws sts assume-role --role-arn <role-arn> --role-session-name omdeploy`) and export the new keys, or unset stale AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN so the profile is used. Check with `aws sts get-caller-identity --profile {profile}`.",
	},
	{
		ID:        AWSInvalidToken,
		Title:     "AWS does not recognise the access key",
		Symptom:   "AWS calls fail with InvalidClientTokenId, UnrecognizedClientException or SignatureDoesNotMatch.",
		Diagnosis: "The access key was deleted or rotated, the secret key is wrong, a session token is missing or belongs to other keys, or the keys are for another partition (China, GovCloud).",
		Fix:       "See which keys are in use with `aws configure list --profile {profile}`. Remove stale AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN from the environment, or replace the keys in ~/.aws/credentials with active ones (IAM console, Security credentials). Check with `aws sts get-caller-identity --profile {profile}`.",
	},
	{
		ID:        AWSNoCredentials,
		Title:     "No AWS credentials were found",
		Symptom:   "omdeploy reports that no credentials resolved: no environment keys, no profile, no instance or task role.",
		Diagnosis: "Nothing in the SDK's credential chain produced credentials: AWS_PROFILE is unset and there is no default profile, or the machine has no role.",
		Fix:       "Pick a profile: `--profile NAME` or `export AWS_PROFILE=NAME` (list them with `aws configure list-profiles`); set one up with `aws configure sso` or `aws configure`. In CI, configure the role (e.g. aws-actions/configure-aws-credentials). Check with `aws sts get-caller-identity`.",
	},
	{
		ID:        AWSSSOLogin,
		Title:     "The AWS SSO session needs a login",
		Symptom:   "Credentials fail with an SSO token error (expired, InvalidGrant, refresh failed).",
		Diagnosis: "The cached IAM Identity Center token for the profile expired or was revoked; the SDK cannot refresh it without a browser login.",
		Fix:       "Run `aws sso login --profile {profile}`, then run omdeploy again with the same profile.",
	},
	{
		ID:        AWSNoProfile,
		Title:     "The AWS profile does not exist",
		Symptom:   "omdeploy reports that the named profile is not in the AWS config.",
		Diagnosis: "A typo in --profile or AWS_PROFILE, or ~/.aws/config on this machine lacks the profile (a new laptop, a CI runner, AWS_CONFIG_FILE pointing elsewhere).",
		Fix:       "List the profiles with `aws configure list-profiles` and pass one that exists, or create it with `aws configure sso --profile {profile}` (or `aws configure --profile {profile}`).",
	},
	{
		ID:        AWSWrongAccount,
		Title:     "Credentials are for the wrong AWS account",
		Symptom:   "The caller's account differs from the config's account_id.",
		Diagnosis: "The active profile or exported keys belong to another account (staging keys left in the environment, the wrong SSO profile).",
		Fix:       "Switch to credentials for account {expected}: pick the right profile (`--profile NAME`; `aws configure list-profiles`), or unset AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN left from another account. Check with `aws sts get-caller-identity`. If the account really changed, update account_id in the config.",
	},
	{
		ID:        AWSNoRegion,
		Title:     "No AWS region is set",
		Symptom:   "omdeploy cannot tell which region the services are in.",
		Diagnosis: "Neither --region, AWS_REGION, the profile's region nor the config's region is set.",
		Fix:       "Set `region:` in the config (the region the services run in), or pass `--region REGION`, or `export AWS_REGION=REGION`.",
	},
	{
		ID:        AWSRegionMismatch,
		Title:     "The run's region differs from the config's",
		Symptom:   "The config says one region but this run uses another (from a flag, AWS_REGION or the profile).",
		Diagnosis: "A --region flag, AWS_REGION or the profile's region overrides the config; SSM parameters, clusters and log groups exist per region, so the wrong region makes them look missing.",
		Fix:       "Run in the config's region: drop the override or pass `--region {expected}`. If the services moved, update `region:` in the config.",
	},
	{
		ID:        AWSAccessDenied,
		Title:     "AWS denied a call (AccessDenied)",
		Symptom:   "An AWS call fails with AccessDenied or AccessDeniedException.",
		Diagnosis: "The credentials are valid but belong to the wrong role, the role lacks the permission, or the call goes to the wrong region or account.",
		Fix:       "Check who you are and where: `aws sts get-caller-identity` and the region omdeploy printed. Switch to the deploy role if it is the wrong one. Otherwise grant the denied action to the role (`omdeploy preflight` lists denied actions under iam.permissions), and refresh the credentials afterwards.",
	},
	{
		ID:        AWSUnreachable,
		Title:     "AWS cannot be reached",
		Symptom:   "AWS calls fail with a connection, DNS or TLS error rather than an AWS error code.",
		Diagnosis: "No network route to the endpoint (VPN, proxy, firewall), a mistyped region that has no endpoint, or an endpoint override pointing at nothing.",
		Fix:       "Check the region name and reachability: `aws sts get-caller-identity --region {region}`. Check HTTPS_PROXY/NO_PROXY and the VPN, and unset AWS_ENDPOINT_URL unless you meant to use an emulator.",
	},
	{
		ID:        AWSAPIError,
		Title:     "An AWS call failed with an unexpected error",
		Symptom:   "An AWS call returned an error code omdeploy has no specific advice for.",
		Diagnosis: "The message names the call and the AWS error code; a ValidationException usually means a malformed name in the config, a 5xx a transient AWS problem.",
		Fix:       "Read the error code in the message and check the names in the config. Retry once; if it persists, search the code in the AWS documentation, and quote the request ID to AWS Support.",
	},
}
