package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// simMaxBackoff keeps the retries left to the simulation (throttling,
// dropped connections) short: the check is advisory.
const simMaxBackoff = 250 * time.Millisecond

// noServerErrorRetry retries what the wrapped retryer retries except an
// answer of 5xx. An emulator without policy simulation (moto) answers 500
// or 501 to every call, and real IAM's rare ServiceFailure is no reason to
// hold up a deploy either: both mean "simulation unavailable", a skip that
// should come at the first such answer, not after the SDK's backoff.
type noServerErrorRetry struct{ aws.RetryerV2 }

func (r noServerErrorRetry) IsErrorRetryable(err error) bool {
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return false
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

// simulationRetryer is the per-call option of SimulatePrincipalPolicy.
func simulationRetryer(o *iam.Options) {
	if o.Retryer == nil {
		return
	}
	r := retry.AddWithMaxBackoffDelay(o.Retryer, simMaxBackoff)
	if v2, ok := r.(aws.RetryerV2); ok {
		o.Retryer = noServerErrorRetry{v2}
		return
	}
	// Not expected of the SDK's wrappers; one attempt is still right.
	o.Retryer = retry.AddWithMaxAttempts(r, 1)
}

const decisionAllowed = "allowed"

// principal is the IAM entity whose policies the simulation evaluates.
type principal struct {
	arn  string
	note string // how arn was found, when that matters to the reader
	skip string // why there is nothing to simulate
}

// resolvePrincipal maps the caller to an IAM ARN. An assumed-role session
// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION) maps to its role, whose path
// (e.g. /aws-reserved/sso.amazonaws.com/) only iam:GetRole knows.
func (r *runner) resolvePrincipal(ctx context.Context) principal {
	id := r.ident.get(ctx)
	if id.arn == "" {
		return principal{skip: "caller identity unknown (see aws.identity); not checked"}
	}
	a, err := arn.Parse(id.arn)
	if err != nil {
		return principal{skip: fmt.Sprintf("caller ARN %q is not an ARN; not checked", id.arn)}
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	switch {
	case kind == "assumed-role":
		role, _, _ := strings.Cut(rest, "/")
		out, err := r.aws.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err == nil && out.Role != nil && aws.ToString(out.Role.Arn) != "" {
			return principal{arn: aws.ToString(out.Role.Arn), note: "role of the session, path from iam:GetRole"}
		}
		guess := arn.ARN{Partition: a.Partition, Service: "iam", AccountID: a.AccountID, Resource: "role/" + role}.String()
		return principal{arn: guess, note: fmt.Sprintf("role of the session; iam:GetRole failed (%s), so simulated without a path", errCode(err))}
	case a.Resource == "root":
		return principal{skip: "the caller is the account root user, which policies do not limit; not simulated"}
	case kind == "user":
		// STS names an IAM user with the iam service; emulators sometimes
		// say sts: the principal is the same user.
		a.Service = "iam"
		return principal{arn: a.String()}
	case a.Service == "iam" && kind == "role":
		return principal{arn: id.arn}
	}
	return principal{skip: fmt.Sprintf("IAM cannot simulate the policies of %s; not checked", id.arn)}
}

// permission is one action on the resources this deploy touches with it.
type permission struct {
	action    string
	resources []string
}

// followFallback is what a run does without the service-deployment reads.
const followFallback = "the rollout is followed through deployments[] instead of by service deployment (no stages, traffic or alarms shown)"

// fallbacks are the actions a run can do without, with what it does
// instead: a denial of only these is a warning, not a failure.
var fallbacks = map[string]string{
	"ecs:DescribeServiceDeployments": followFallback,
	"ecs:ListServiceDeployments":     followFallback,
	"ecs:StopServiceDeployment":      "a deployment in flight is rolled back with UpdateService instead of StopServiceDeployment(ROLLBACK)",
}

// checkConfigPermissions simulates the config's iam_actions (on any
// resource) and ssm:GetParameters on its ssm_parameters.
func (r *runner) checkConfigPermissions(ctx context.Context) Check {
	if why := r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	id := r.ident.get(ctx)
	var perms []permission
	for _, a := range r.opts.Config.IAMActions {
		perms = append(perms, permission{a, []string{"*"}})
	}
	if params := parameterARNs(r.opts.Config.SSMParameters, id, r.aws.Region); len(params) > 0 {
		perms = append(perms, permission{"ssm:GetParameters", params})
	}
	p := r.caller.get(ctx)
	if p.skip != "" {
		return skip("%s", p.skip)
	}
	return judge(p, perms, r.simulateAll(ctx, p.arn, perms, nil), "the config's iam_actions and ssm_parameters", "")
}

// checkPermissions simulates every call a deploy of this service makes, on
// the service's real resources. The simulation is shared by the services
// of the cluster (see simulateCluster): one call asks about all of them.
func (s *serviceFacts) checkPermissions(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	p := s.r.caller.get(ctx)
	if p.skip != "" {
		return skip("%s", p.skip)
	}
	perms, note := s.permissions(ctx)
	return judge(p, perms, s.sim.get(ctx), "service "+s.svc.Service+"'s resources", note)
}

// simulateCluster simulates, in one simulation for the principal, what the
// deploy of every service of one cluster needs: the union of their actions
// on the union of their resources. Each service's check then reads the
// verdicts of its own action–resource pairs only. The cluster is the unit
// because the simulation's context (ecs:cluster) is the cluster's.
func simulateCluster(services []*serviceFacts) func(context.Context) simAnswer {
	return func(ctx context.Context) simAnswer {
		r := services[0].r
		p := r.caller.get(ctx)
		if p.skip != "" {
			return simAnswer{}
		}
		var all []permission
		for _, s := range services {
			perms, _ := s.permissions(ctx)
			all = append(all, perms...)
		}
		return r.simulateAll(ctx, p.arn, all, services[0].simContext(ctx))
	}
}

// simContext is the simulation's context for the service's cluster.
func (s *serviceFacts) simContext(ctx context.Context) []iamtypes.ContextEntry {
	id := s.r.ident.get(ctx)
	clusterARN := arn.ARN{Partition: id.partition, Service: "ecs", Region: s.r.region(), AccountID: id.account, Resource: "cluster/" + s.svc.Cluster}.String()
	if c := s.cluster.get(ctx).cluster; c != nil && c.ClusterArn != nil {
		clusterARN = aws.ToString(c.ClusterArn)
	}
	return []iamtypes.ContextEntry{{
		ContextKeyName: aws.String("ecs:cluster"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{clusterARN},
	}}
}

// permissions lists every call a deploy of this service makes, on the
// service's real resources, with a note on what could not be listed.
func (s *serviceFacts) permissions(ctx context.Context) ([]permission, string) {
	id := s.r.ident.get(ctx)
	region := s.r.region()
	serviceARN := arn.ARN{Partition: id.partition, Service: "ecs", Region: region, AccountID: id.account, Resource: "service/" + s.svc.Cluster + "/" + s.svc.Service}.String()
	if v := s.service.get(ctx).service; v != nil && v.ServiceArn != nil {
		serviceARN = aws.ToString(v.ServiceArn)
	}
	ecsARN := func(resource string) string {
		return arn.ARN{Partition: id.partition, Service: "ecs", Region: region, AccountID: id.account, Resource: resource}.String()
	}
	sdARN := ecsARN("service-deployment/" + s.svc.Cluster + "/" + s.svc.Service + "/*")
	perms := []permission{
		{"ecs:DescribeServices", []string{serviceARN}},
		{"ecs:DescribeTaskDefinition", []string{"*"}},
		{"ecs:RegisterTaskDefinition", []string{"*"}},
		{"ecs:UpdateService", []string{serviceARN}},
		{"ecs:ListTasks", []string{ecsARN("container-instance/" + s.svc.Cluster + "/*")}},
		{"ecs:DescribeTasks", []string{ecsARN("task/" + s.svc.Cluster + "/*")}},
		// The rollout is followed by service deployment; without these the
		// deploy still works, through deployments[], with less to show.
		{"ecs:DescribeServiceDeployments", []string{sdARN}},
		{"ecs:ListServiceDeployments", []string{serviceARN}},
	}
	if s.r.opts.RollsBack {
		perms = append(perms, permission{"ecs:StopServiceDeployment", []string{sdARN}})
	}
	if h := s.svc.Health; h != nil && h.TestBaseURL != "" {
		// Gated blue/green releases the hook itself: without it the
		// deployment waits there until the hook's timeout.
		perms = append(perms, permission{"ecs:ContinueServiceDeployment", []string{sdARN}})
	}
	if s.svc.Lock != nil {
		// The deploy lock's lease (internal/lock): taken, read, released.
		lease := arn.ARN{Partition: id.partition, Service: "ssm", Region: region, AccountID: id.account, Resource: "parameter" + lock.Name(s.svc.Cluster, s.svc.Service)}.String()
		for _, a := range []string{"ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameter"} {
			perms = append(perms, permission{a, []string{lease}})
		}
	}
	if v := s.service.get(ctx).service; v != nil && len(v.LoadBalancers) > 0 {
		for _, a := range lbActions {
			perms = append(perms, permission{a, []string{"*"}})
		}
	}
	note := ""
	// What the run would register: a file may change roles, secrets and
	// log groups.
	td := s.next.get(ctx)
	if td.taskDef == nil {
		note = "iam:PassRole, ssm:GetParameters and logs:GetLogEvents not simulated: task definition unknown"
	} else {
		var roles []string
		for _, role := range []*string{td.taskDef.TaskRoleArn, td.taskDef.ExecutionRoleArn} {
			if rr := aws.ToString(role); rr != "" && !slices.Contains(roles, rr) {
				roles = append(roles, rr)
			}
		}
		if len(roles) > 0 {
			perms = append(perms, permission{"iam:PassRole", roles})
		}
		if params := parameterARNs(containerSecrets(td.taskDef), id, region); len(params) > 0 {
			perms = append(perms, permission{"ssm:GetParameters", params})
		}
		perms = append(perms, s.artifactPermissions(ctx, td.taskDef, id.partition)...)
		var streams []string
		for _, t := range awslogsTargets(td.taskDef, region) {
			if t.group != "" {
				streams = append(streams, arn.ARN{Partition: id.partition, Service: "logs", Region: t.region, AccountID: id.account,
					Resource: "log-group:" + t.group + ":log-stream:*"}.String())
			}
		}
		if len(streams) > 0 {
			perms = append(perms, permission{"logs:GetLogEvents", streams})
		}
	}
	return perms, note
}

// parameterARNs names the SSM parameters as IAM sees them: a plain name
// becomes its ARN in region (without the leading slash), an ARN stays.
func parameterARNs(values []string, id identity, region string) []string {
	refs := splitRefs(values, region, id.account)
	var out []string
	for _, rg := range refs.regions(region) {
		for _, name := range refs.ssm[rg] {
			if !strings.HasPrefix(name, "arn:") {
				name = arn.ARN{Partition: id.partition, Service: "ssm", Region: rg, AccountID: id.account, Resource: "parameter/" + strings.TrimPrefix(name, "/")}.String()
			}
			out = append(out, name)
		}
	}
	return out
}

// simAnswer is one simulation's verdicts: by action, then resource.
type simAnswer struct {
	decisions map[string]map[string]string
	err       error // no answer: denied, unsupported, unknown principal
}

// simMaxItems asks for the largest pages IAM gives, so a simulation of
// many services is one call rather than one per hundred results.
const simMaxItems = 1000

// simulateAll asks IAM, in one simulation (paged), about the union of
// perms' actions on the union of their resources.
func (r *runner) simulateAll(ctx context.Context, principalARN string, perms []permission, ctxEntries []iamtypes.ContextEntry) simAnswer {
	if len(perms) == 0 {
		return simAnswer{}
	}
	in := &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(principalARN),
		ContextEntries:  ctxEntries,
		MaxItems:        aws.Int32(simMaxItems),
	}
	for _, p := range perms {
		if !slices.Contains(in.ActionNames, p.action) {
			in.ActionNames = append(in.ActionNames, p.action)
		}
		for _, res := range p.resources {
			if !slices.Contains(in.ResourceArns, res) {
				in.ResourceArns = append(in.ResourceArns, res)
			}
		}
	}
	ans := simAnswer{decisions: map[string]map[string]string{}}
	note := func(action, resource string, d iamtypes.PolicyEvaluationDecisionType) {
		if ans.decisions[action] == nil {
			ans.decisions[action] = map[string]string{}
		}
		ans.decisions[action][resource] = string(d)
	}
	for {
		out, err := r.aws.IAM.SimulatePrincipalPolicy(ctx, in, simulationRetryer)
		if err != nil {
			return simAnswer{err: err}
		}
		for _, res := range out.EvaluationResults {
			action := aws.ToString(res.EvalActionName)
			for _, rs := range res.ResourceSpecificResults {
				note(action, aws.ToString(rs.EvalResourceName), rs.EvalResourceDecision)
			}
			if len(res.ResourceSpecificResults) == 0 {
				note(action, aws.ToString(res.EvalResourceName), res.EvalDecision)
			}
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			return ans
		}
		in.Marker = out.Marker
	}
}

// judge reads perms' verdicts from ans. Anything short of an answer
// (simulation denied, unsupported, unknown principal) is a skip with the
// reason: never a pass nobody verified, never a failure the deploy would
// not have met.
func judge(p principal, perms []permission, ans simAnswer, what, note string) Check {
	if len(perms) == 0 {
		return pass("nothing to simulate for %s", what)
	}
	if ans.err != nil {
		return skip("%s; permissions not verified", simulationUnavailable(p.arn, ans.err))
	}
	var denied []string
	actions := map[string]bool{}
	for _, perm := range perms {
		actions[perm.action] = true
		for _, res := range perm.resources {
			d, ok := ans.decisions[perm.action][res]
			if !ok {
				// An answer for the action without this resource (one
				// result for "*"): the action's verdict.
				d, ok = ans.decisions[perm.action]["*"]
			}
			switch {
			case !ok:
				denied = append(denied, fmt.Sprintf("%s on %s (not in the simulation's answer)", perm.action, res))
			case d != decisionAllowed:
				denied = append(denied, fmt.Sprintf("%s on %s (%s)", perm.action, res, d))
			}
		}
	}
	who := p.arn
	if p.note != "" {
		who += " (" + p.note + ")"
	}
	required, optional, instead := splitDenied(denied)
	vars := map[string]string{"principal": p.arn, "actions": strings.Join(denied, "; ")}
	switch {
	case len(required) > 0:
		return fail(runbook.IAMPermissionDenied, vars,
			"%s is denied %d of the actions on %s: %s", who, len(denied), what, strings.Join(denied, "; "))
	case len(optional) > 0:
		return warn(runbook.IAMPermissionDenied, vars, "%s is denied %d of the actions on %s, which the run can do without: %s; so %s",
			who, len(optional), what, strings.Join(optional, "; "), strings.Join(instead, "; "))
	}
	msg := fmt.Sprintf("%s is allowed all %d actions on %s", who, len(actions), what)
	if note != "" {
		msg += "; " + note
	}
	return pass("%s", msg)
}

// splitDenied parts the denials ("action on resource (decision)") into
// those that fail the run and those it has a fallback for, with the
// fallbacks, each once.
func splitDenied(denied []string) (required, optional, instead []string) {
	for _, d := range denied {
		action, _, _ := strings.Cut(d, " ")
		fb, ok := fallbacks[action]
		if !ok {
			required = append(required, d)
			continue
		}
		optional = append(optional, d)
		if !slices.Contains(instead, fb) {
			instead = append(instead, fb)
		}
	}
	return required, optional, instead
}

// simulationUnavailable says why the simulation gave no answer.
func simulationUnavailable(principalARN string, err error) string {
	switch {
	case awsx.Classify(err) == awsx.KindDenied:
		return fmt.Sprintf("iam:SimulatePrincipalPolicy is not allowed for %s (%s)", principalARN, errCode(err))
	case awsx.Code(err) == "NoSuchEntity":
		return fmt.Sprintf("IAM simulation does not know %s (NoSuchEntity; a role path may be missing)", principalARN)
	}
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return fmt.Sprintf("IAM policy simulation is unavailable: the endpoint answered HTTP %d (%s); an emulator such as moto does not implement it", resp.HTTPStatusCode(), errCode(err))
	}
	return "IAM policy simulation is unavailable: " + shorten(err.Error(), 200)
}

// errCode is the AWS error code of err, or a short form of its message.
func errCode(err error) string {
	if err == nil {
		return "no role in the answer"
	}
	if c := awsx.Code(err); c != "" {
		return c
	}
	return shorten(err.Error(), 120)
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
