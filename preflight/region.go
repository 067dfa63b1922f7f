package preflight

import (
	"context"

	"github.com/omdeploy/omdeploy/internal/runbook"
)

// checkRegion says which region the run uses and where that came from; SSM
// parameters, clusters and log groups all exist per region, so the wrong one
// makes everything look missing.
func (r *runner) checkRegion(context.Context) Check {
	if r.aws == nil {
		return skip("no AWS configuration resolved; not checked (see aws.credentials)")
	}
	region, source := r.aws.Region, r.aws.RegionSource
	if source == "" {
		source = "the AWS SDK's default chain"
	}
	if region == "" {
		return fail(runbook.AWSNoRegion, nil, "no region is set: not by --region, AWS_REGION, the profile, nor the config's region")
	}
	if want := r.opts.Config.Region; want != "" && want != region {
		return warn(runbook.AWSRegionMismatch, map[string]string{"expected": want, "actual": region, "source": source},
			"%s (from %s), but the config's region is %s", region, source, want)
	}
	return pass("%s (from %s)", region, source)
}
