package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// ssmBatch is GetParameters' limit on names per call.
const ssmBatch = 10

// secretRefs are the references of a task definition's secrets or the
// config's ssm_parameters, sorted by where they can be checked.
type secretRefs struct {
	ssm            map[string][]string // region -> names or ARNs, as they are asked for
	written        map[string]string   // name asked -> the ARN written, when they differ
	secretsManager []string            // Secrets Manager ARNs
}

// splitRefs files each reference under the region that holds it: a plain
// name is in the run's region, an SSM ARN in the region it names (that is
// where ECS fetches it, whatever the run's region). An ARN of the run's
// own account and region is asked for by its name: the same parameter to
// AWS, and the only form some emulators (moto) resolve in GetParameters.
// account is the caller's; "" leaves every ARN as written.
func splitRefs(values []string, region, account string) secretRefs {
	refs := secretRefs{ssm: map[string][]string{}, written: map[string]string{}}
	for _, v := range values {
		a, err := arn.Parse(v)
		switch {
		case err != nil:
			refs.add(region, v)
		case a.Service == "ssm":
			rg := a.Region
			if rg == "" {
				rg = region
			}
			if name, ok := parameterName(a); ok && rg == region && account != "" && a.AccountID == account {
				if _, seen := refs.written[name]; !seen {
					refs.written[name] = v
				}
				refs.add(rg, name)
				continue
			}
			refs.add(rg, v)
		default:
			if !slices.Contains(refs.secretsManager, v) {
				refs.secretsManager = append(refs.secretsManager, v)
			}
		}
	}
	return refs
}

// parameterName is the name of the parameter an SSM ARN names. The ARN
// drops the leading slash of a hierarchical name: parameter/app/db is
// /app/db, while parameter/plain is plain.
func parameterName(a arn.ARN) (string, bool) {
	rest, ok := strings.CutPrefix(a.Resource, "parameter/")
	if !ok || rest == "" {
		return "", false
	}
	if strings.Contains(rest, "/") {
		return "/" + rest, true
	}
	return rest, true
}

// asWritten maps the names SSM reported back to the references the config
// or task definition holds, so the operator can find them there.
func (s *secretRefs) asWritten(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if w, ok := s.written[n]; ok {
			n = w
		}
		out[i] = n
	}
	return out
}

func (s *secretRefs) add(region, name string) {
	if !slices.Contains(s.ssm[region], name) {
		s.ssm[region] = append(s.ssm[region], name)
	}
}

// regions lists the regions to ask, the run's first, for a stable message.
func (s *secretRefs) regions(first string) []string {
	var out []string
	for rg := range s.ssm {
		out = append(out, rg)
	}
	slices.SortFunc(out, func(a, b string) int {
		switch {
		case a == first:
			return -1
		case b == first:
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

func (r *runner) checkConfigParameters(ctx context.Context) Check {
	if why := r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	return r.checkRefs(ctx, r.opts.Config.SSMParameters, "the config's ssm_parameters")
}

func (s *serviceFacts) checkParameters(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	// The references the revision to register holds: a task definition
	// file may add one the running revision lacks.
	td := s.next.get(ctx)
	if td.taskDef == nil {
		return skip("task definition unknown: %s", td.why)
	}
	return s.r.checkRefs(ctx, containerSecrets(td.taskDef), "task definition "+shortTaskDef(aws.ToString(td.taskDef.TaskDefinitionArn)))
}

// checkRefs asks SSM whether each parameter exists, without decryption:
// existence is the question, and a value read is a value that can leak.
func (r *runner) checkRefs(ctx context.Context, values []string, origin string) Check {
	if r.aws.Region == "" {
		return skip("no region; not checked (see aws.region)")
	}
	refs := splitRefs(values, r.aws.Region, r.ident.get(ctx).account)
	var found, total int
	var missing []string // "names (region)" groups, for the message
	var firstRegion string
	var firstMissing []string
	counts := []string{}
	for _, rg := range refs.regions(r.aws.Region) {
		names := refs.ssm[rg]
		total += len(names)
		invalid, err := r.missingParameters(ctx, rg, names)
		if err != nil {
			c := r.awsFail(err, "ssm:GetParameters in %s", rg)
			c.Status = event.StatusWarn
			c.Message = fmt.Sprintf("could not check %d parameter(s) of %s in %s: %v", len(names), origin, rg, err)
			return c
		}
		found += len(names) - len(invalid)
		counts = append(counts, fmt.Sprintf("%s: %d", rg, len(names)))
		if len(invalid) > 0 {
			// The message names each as written, the fix by name, which
			// put-parameter needs.
			missing = append(missing, fmt.Sprintf("missing in %s: %s", rg, strings.Join(refs.asWritten(invalid), ", ")))
			if firstRegion == "" {
				firstRegion, firstMissing = rg, invalid
			}
		}
	}
	if len(missing) > 0 {
		return fail(runbook.SSMParameterMissing, map[string]string{"region": firstRegion, "names": strings.Join(firstMissing, " ")},
			"%s (%d of %d referenced by %s exist)", strings.Join(missing, "; "), found, total, origin)
	}
	smNote := ""
	if n := len(refs.secretsManager); n > 0 {
		smNote = fmt.Sprintf("%d Secrets Manager secret(s) checked by %s", n, IDSecretsExist)
		if total == 0 {
			return pass("%s references no SSM parameter; %s", origin, smNote)
		}
		smNote = "; " + smNote
	}
	if total == 0 {
		return pass("%s references no SSM parameter", origin)
	}
	return pass("all %d SSM parameter(s) of %s exist (%s); values not read%s", total, origin, strings.Join(counts, ", "), smNote)
}

// missingParameters returns the names SSM reports invalid in region, asking
// in batches of ssmBatch. Values come back encrypted (or plain for String
// parameters) and are dropped unread.
func (r *runner) missingParameters(ctx context.Context, region string, names []string) ([]string, error) {
	client := r.aws.SSMIn(region)
	var invalid []string
	for batch := range slices.Chunk(names, ssmBatch) {
		out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: batch, WithDecryption: aws.Bool(false)})
		if err != nil {
			return nil, err
		}
		invalid = append(invalid, out.InvalidParameters...)
	}
	return invalid, nil
}
