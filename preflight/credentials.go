package preflight

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// identity is who the credentials say the caller is, resolved once.
type identity struct {
	source  string    // the SDK provider that produced the credentials
	expires time.Time // zero: no known expiry
	credErr error     // credentials did not resolve, or AWS rejected them
	err     error     // sts:GetCallerIdentity failed for another reason

	account   string
	arn       string
	partition string
}

// credentialKinds are the errors that mean "these credentials do not work",
// as opposed to "this call is not allowed".
var credentialKinds = map[awsx.Kind]bool{
	awsx.KindExpired: true, awsx.KindInvalidToken: true, awsx.KindNoCredentials: true,
	awsx.KindSSOLogin: true, awsx.KindNoProfile: true,
}

// resolveIdentity retrieves the credentials first, so that an SSO login or
// a broken profile is named as such, then asks STS who they belong to.
func (r *runner) resolveIdentity(ctx context.Context) identity {
	var id identity
	if r.aws.Credentials != nil {
		creds, err := r.aws.Credentials.Retrieve(ctx)
		if err != nil {
			id.credErr = fmt.Errorf("resolve credentials: %w", err)
			return id
		}
		id.source = creds.Source
		if creds.CanExpire {
			id.expires = creds.Expires
		}
	}
	out, err := r.aws.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if credentialKinds[awsx.Classify(err)] {
			id.credErr = err
		} else {
			id.err = err
		}
		return id
	}
	id.account, id.arn = aws.ToString(out.Account), aws.ToString(out.Arn)
	id.partition = "aws"
	if a, perr := arn.Parse(id.arn); perr == nil {
		id.partition = a.Partition
	}
	return id
}

func (r *runner) checkCredentials(ctx context.Context) Check {
	if r.opts.AWSErr != nil {
		return r.credentialFailure(r.opts.AWSErr)
	}
	if r.aws == nil {
		return skip("no AWS clients configured; not checked")
	}
	id := r.ident.get(ctx)
	if id.credErr != nil {
		return r.credentialFailure(id.credErr)
	}
	msg := "credentials resolved"
	if id.source != "" {
		msg += " from " + id.source
	}
	if r.aws.Profile != "" {
		msg += " (profile " + r.aws.Profile + ")"
	}
	if !id.expires.IsZero() {
		msg += fmt.Sprintf("; they expire in %s", id.expires.Sub(r.clk.Now()).Round(time.Minute))
	}
	if id.err != nil {
		msg += "; STS did not confirm them (see aws.identity)"
	}
	return pass("%s", msg)
}

func (r *runner) credentialFailure(err error) Check {
	id, fix := AWSErrorFix(err, r.profile(), r.region())
	return Check{Status: event.StatusFail, Message: fmt.Sprintf("credentials do not work: %v", err), RunbookID: id, Fix: fix}
}

func (r *runner) checkIdentity(ctx context.Context) Check {
	if why := r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	id := r.ident.get(ctx)
	if id.err != nil {
		return r.awsFail(id.err, "sts:GetCallerIdentity")
	}
	want := r.opts.Config.AccountID
	if want != "" && want != id.account {
		return fail(runbook.AWSWrongAccount, map[string]string{"expected": want, "actual": id.account, "profile": r.profile()},
			"caller %s is in account %s, but the config's account_id is %s", id.arn, id.account, want)
	}
	if want != "" {
		return pass("account %s (matches account_id) as %s", id.account, id.arn)
	}
	return pass("account %s as %s", id.account, id.arn)
}

// profile names the profile in fixes; the default chain reads "default".
func (r *runner) profile() string {
	switch {
	case r.aws != nil && r.aws.Profile != "":
		return r.aws.Profile
	case r.opts.Clients != nil && r.opts.Clients.Profile != "":
		return r.opts.Clients.Profile
	}
	return "default"
}

// AWSErrorFix maps an AWS error to its runbook entry and the entry's fix
// filled for profile and region, so an expired token found mid-deploy reads
// exactly as the one preflight finds.
func AWSErrorFix(err error, profile, region string) (runbookID, fix string) {
	vars := map[string]string{"profile": profile, "region": region}
	var np awsconfig.SharedConfigProfileNotExistError
	if errors.As(err, &np) && np.Profile != "" {
		vars["profile"] = np.Profile
	}
	if runbookID = awsx.RunbookID(err); runbookID == "" {
		runbookID = runbook.AWSUnreachable
	}
	return runbookID, runbook.Fix(runbookID, vars)
}
