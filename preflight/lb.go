package preflight

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// ELBv2API is the part of Elastic Load Balancing v2 the lb.target-groups
// check calls: read-only lookups of a target group and of what forwards
// to it.
type ELBv2API interface {
	DescribeTargetGroups(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupsInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error)
	DescribeListeners(ctx context.Context, in *elasticloadbalancingv2.DescribeListenersInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeListenersOutput, error)
	DescribeRules(ctx context.Context, in *elasticloadbalancingv2.DescribeRulesInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeRulesOutput, error)
}

// codeTargetGroupNotFound is ELBv2's answer for a target group ARN that
// does not exist.
const codeTargetGroupNotFound = "TargetGroupNotFound"

// lbActions are the calls lb.target-groups makes, and those the rollout
// follower makes to show target health and draining (deploy/targetwatch.go),
// for iam.permissions. ELBv2's Describe* actions take no resource-level
// permissions, so they are simulated on "*".
var lbActions = []string{
	"elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeListeners",
	"elasticloadbalancing:DescribeRules",
	"elasticloadbalancing:DescribeTargetHealth",
	"elasticloadbalancing:DescribeTargetGroupAttributes",
}

// lbFinding is one problem found with one target group; the check reports
// every finding, with the runbook entry of the first of the worst status.
type lbFinding struct {
	status    string // event.StatusFail or event.StatusWarn
	text      string
	runbookID string
	vars      map[string]string
}

// checkTargetGroups checks that each load balancer of the service can send
// traffic to the new revision's tasks and judges their health as omdeploy
// will: the target group exists and something forwards to it, its target
// type fits the network mode, the container and port exist in the new
// revision (the one the run would register: the task definition file's
// when the service has one), and its health check agrees with the
// declared health endpoints.
func (s *serviceFacts) checkTargetGroups(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	sf := s.service.get(ctx)
	switch {
	case sf.clusterMissing, sf.err != nil, sf.service == nil:
		return skip("the service could not be described; not checked (see ecs.service)")
	case len(sf.service.LoadBalancers) == 0:
		// As iam.permissions passes with nothing to simulate: there is no
		// wiring that could be wrong.
		return pass("the service has no load balancer: nothing to check")
	case s.r.aws.ELBv2 == nil:
		return skip("no Elastic Load Balancing client configured; not checked")
	}
	td := s.next.get(ctx)
	if td.taskDef == nil {
		return skip("task definition unknown (%s); not checked", td.why)
	}
	var findings []lbFinding
	var passed []string
	for _, lb := range sf.service.LoadBalancers {
		if lb.TargetGroupArn == nil {
			// A Classic Load Balancer (LoadBalancerName): ELBv2 cannot see it.
			passed = append(passed, "classic load balancer "+aws.ToString(lb.LoadBalancerName)+" not checked")
			continue
		}
		fs, ok, err := s.checkTargetGroup(ctx, lb, td.taskDef, false)
		if err != nil {
			return s.r.awsFail(err, "describe target group %s (%s)", awsx.TargetGroupName(aws.ToString(lb.TargetGroupArn)), s.r.region())
		}
		findings = append(findings, fs...)
		if len(fs) == 0 {
			passed = append(passed, ok)
		}
		if lb.AdvancedConfiguration != nil {
			fs, ok, err := s.checkBlueGreen(ctx, lb, td.taskDef)
			if err != nil {
				return s.r.awsFail(err, "describe the blue/green resources of target group %s (%s)", awsx.TargetGroupName(aws.ToString(lb.TargetGroupArn)), s.r.region())
			}
			findings = append(findings, fs...)
			if len(fs) == 0 {
				passed = append(passed, ok)
			}
		}
	}
	return lbVerdict(findings, passed)
}

// lbVerdict folds the findings into one check: it fails when one failed,
// warns when one warned, and names every finding either way.
func lbVerdict(findings []lbFinding, passed []string) Check {
	if len(findings) == 0 {
		return pass("%s", strings.Join(passed, "; "))
	}
	texts := make([]string, len(findings))
	worst := findings[0]
	for i, f := range findings {
		texts[i] = f.text
		if f.status == event.StatusFail && worst.status != event.StatusFail {
			worst = f
		}
	}
	if worst.status == event.StatusFail {
		return fail(worst.runbookID, worst.vars, "%s", strings.Join(texts, "; "))
	}
	return warn(worst.runbookID, worst.vars, "%s", strings.Join(texts, "; "))
}

// checkTargetGroup checks one load balancer entry of the service (or, with
// alternate, its blue/green alternate target group, whose container and
// port are the entry's own and checked with it). It returns the findings,
// or when there are none what passed; err is a call that failed for
// another reason than a missing target group.
func (s *serviceFacts) checkTargetGroup(ctx context.Context, lb ecstypes.LoadBalancer, td *ecstypes.TaskDefinition, alternate bool) ([]lbFinding, string, error) {
	tgARN := aws.ToString(lb.TargetGroupArn)
	name := awsx.TargetGroupName(tgARN)
	vars := s.vars()
	vars["target_group"] = tgARN
	vars["container"] = aws.ToString(lb.ContainerName)
	vars["port"] = strconv.Itoa(int(aws.ToInt32(lb.ContainerPort)))

	var findings []lbFinding
	add := func(status, runbookID string, extra map[string]string, format string, args ...any) {
		v := vars
		if len(extra) > 0 {
			v = map[string]string{}
			for k, x := range vars {
				v[k] = x
			}
			for k, x := range extra {
				v[k] = x
			}
		}
		findings = append(findings, lbFinding{status: status, text: fmt.Sprintf(format, args...), runbookID: runbookID, vars: v})
	}

	// The container and port are the revision's, whatever AWS says of the
	// target group: check them first so they are reported even then.
	if f := containerPortProblem(td, aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)); f != "" && !alternate {
		add(event.StatusFail, runbook.LBContainerPortMissing, nil, "target group %s: %s", name, f)
	}

	out, err := s.r.aws.ELBv2.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tgARN}})
	if awsx.Code(err) == codeTargetGroupNotFound || (err == nil && len(out.TargetGroups) == 0) {
		add(event.StatusFail, runbook.LBTargetGroupMissing, nil, "target group %s does not exist in %s", tgARN, s.r.region())
		return findings, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	tg := out.TargetGroups[0]

	if len(tg.LoadBalancerArns) == 0 {
		add(event.StatusFail, runbook.LBTargetGroupMissing, nil, "target group %s is attached to no load balancer: the new tasks would get no traffic", name)
	} else {
		found, err := s.forwardsTo(ctx, tg.LoadBalancerArns, tgARN)
		if err != nil {
			return nil, "", err
		}
		if !found {
			add(event.StatusFail, runbook.LBTargetGroupMissing, nil, "no listener or rule of its load balancer forwards to target group %s: the new tasks would get no traffic", name)
		}
	}

	if want := targetTypeFor(td.NetworkMode); want != "" && tg.TargetType != want {
		add(event.StatusFail, runbook.LBTargetTypeMismatch, map[string]string{"want": string(want), "have": string(tg.TargetType)},
			"target group %s has target type %s, but %s tasks register as %s", name, tg.TargetType, networkMode(td.NetworkMode), want)
	}

	hc := s.healthCheckFindings(ctx, tg)
	for _, f := range hc {
		add(f.status, f.runbookID, f.vars, "target group %s: %s", name, f.text)
	}
	ok := fmt.Sprintf("target group %s (%s) forwards to %s:%d", name, tg.TargetType, aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort))
	if p := aws.ToString(tg.HealthCheckPath); p != "" {
		ok += ", health check " + p
	}
	return findings, ok, nil
}

// forwardsTo reports whether a listener of one of lbs, by its default
// actions or by a rule, forwards to tgARN.
func (s *serviceFacts) forwardsTo(ctx context.Context, lbs []string, tgARN string) (bool, error) {
	for _, lbARN := range lbs {
		in := &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)}
		for {
			out, err := s.r.aws.ELBv2.DescribeListeners(ctx, in)
			if err != nil {
				return false, err
			}
			for _, l := range out.Listeners {
				if forwards(l.DefaultActions, tgARN) {
					return true, nil
				}
				found, err := s.ruleForwardsTo(ctx, aws.ToString(l.ListenerArn), tgARN)
				if err != nil || found {
					return found, err
				}
			}
			if aws.ToString(out.NextMarker) == "" {
				break
			}
			in.Marker = out.NextMarker
		}
	}
	return false, nil
}

func (s *serviceFacts) ruleForwardsTo(ctx context.Context, listenerARN, tgARN string) (bool, error) {
	in := &elasticloadbalancingv2.DescribeRulesInput{ListenerArn: aws.String(listenerARN)}
	for {
		out, err := s.r.aws.ELBv2.DescribeRules(ctx, in)
		if err != nil {
			return false, err
		}
		for _, rule := range out.Rules {
			if forwards(rule.Actions, tgARN) {
				return true, nil
			}
		}
		if aws.ToString(out.NextMarker) == "" {
			return false, nil
		}
		in.Marker = out.NextMarker
	}
}

// forwards reports whether actions forward to tgARN, by the action's own
// TargetGroupArn or as one of a weighted forward config's groups.
func forwards(actions []elbtypes.Action, tgARN string) bool {
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if aws.ToString(a.TargetGroupArn) == tgARN {
			return true
		}
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				if aws.ToString(t.TargetGroupArn) == tgARN {
					return true
				}
			}
		}
	}
	return false
}

// targetTypeFor is the target type tasks of a network mode register as, or
// "" when none fits (none) or any may.
func targetTypeFor(mode ecstypes.NetworkMode) elbtypes.TargetTypeEnum {
	switch mode {
	case ecstypes.NetworkModeAwsvpc:
		return elbtypes.TargetTypeEnumIp
	case ecstypes.NetworkModeBridge, ecstypes.NetworkModeHost, "":
		// An EC2 task definition without a network mode runs in bridge mode.
		return elbtypes.TargetTypeEnumInstance
	}
	return ""
}

func networkMode(mode ecstypes.NetworkMode) string {
	if mode == "" {
		return "bridge (the default)"
	}
	return string(mode)
}

// containerPortProblem says what is wrong with the load balancer's
// container and port in td, or "".
func containerPortProblem(td *ecstypes.TaskDefinition, container string, port int32) string {
	var names []string
	for _, c := range td.ContainerDefinitions {
		names = append(names, aws.ToString(c.Name))
		if aws.ToString(c.Name) != container {
			continue
		}
		var ports []string
		for _, m := range c.PortMappings {
			if aws.ToInt32(m.ContainerPort) == port {
				return ""
			}
			ports = append(ports, strconv.Itoa(int(aws.ToInt32(m.ContainerPort))))
		}
		if len(ports) == 0 {
			return fmt.Sprintf("container %s of the new revision maps no port; the load balancer sends to %d", container, port)
		}
		return fmt.Sprintf("container %s of the new revision maps port(s) %s, not %d that the load balancer sends to", container, strings.Join(ports, ", "), port)
	}
	return fmt.Sprintf("the new revision has no container %s (it has %s)", container, strings.Join(names, ", "))
}

// healthCheckFindings compares the target group's HTTP health check with
// the service's declared endpoints, and probes its path once through
// health.base_url. A TCP or gRPC health check has no path or HTTP codes to
// compare.
func (s *serviceFacts) healthCheckFindings(ctx context.Context, tg elbtypes.TargetGroup) []lbFinding {
	path := aws.ToString(tg.HealthCheckPath)
	proto := tg.HealthCheckProtocol
	if path == "" || (proto != elbtypes.ProtocolEnumHttp && proto != elbtypes.ProtocolEnumHttps) {
		return nil
	}
	h := s.svc.Health
	vars := map[string]string{"path": path}
	if h == nil || len(h.Endpoints) == 0 {
		// health.contract already warns that nothing is declared.
		return nil
	}
	var findings []lbFinding
	declared := make([]string, len(h.Endpoints))
	var match *config.Endpoint
	for i, e := range h.Endpoints {
		declared[i] = e.Path
		if samePath(h.BaseURL, e.Path, path) && match == nil {
			match = &h.Endpoints[i]
		}
	}
	if match == nil {
		findings = append(findings, lbFinding{status: event.StatusWarn, runbookID: runbook.LBHealthPathMismatch, vars: vars,
			text: fmt.Sprintf("the load balancer checks %s; omdeploy verifies %s", path, joinAnd(declared))})
	} else if tg.Matcher != nil && aws.ToString(tg.Matcher.HttpCode) != "" {
		codes := aws.ToString(tg.Matcher.HttpCode)
		if lbCodes, ok := parseMatcher(codes); ok && !acceptsOnly(lbCodes, match.ExpectStatus) {
			vars["matcher"] = codes
			findings = append(findings, lbFinding{status: event.StatusWarn, runbookID: runbook.LBMatcherMismatch, vars: vars,
				text: fmt.Sprintf("the load balancer accepts %s on %s; omdeploy expects %s", codes, path, expectText(match.ExpectStatus))})
		}
	}
	if f, ok := s.probePhantom(ctx, path); ok {
		findings = append(findings, f)
	}
	return findings
}

// probePhantom GETs the target group's health path once through
// health.base_url, as the baseline does: a 404 or 405 there before the
// deploy is a route the running version does not have, and the load
// balancer would find every target unhealthy on it. Other answers are
// health.contract's to report.
func (s *serviceFacts) probePhantom(ctx context.Context, path string) (lbFinding, bool) {
	base, err := url.Parse(s.svc.Health.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return lbFinding{}, false
	}
	ep := config.Endpoint{Path: path, FollowRedirects: s.svc.Health.Redirects(config.Endpoint{Path: path})}
	p := s.r.health.Probe(ctx, s.svc.Health.BaseURL, ep)
	if p.StatusCode != 404 && p.StatusCode != 405 {
		return lbFinding{}, false
	}
	return lbFinding{status: event.StatusWarn, runbookID: runbook.HealthPhantomRoute, vars: map[string]string{"url": p.URL},
		text: fmt.Sprintf("its health check path answers %s before the deploy (%s): a route the service does not have", p.Detail, p.URL)}, true
}

// samePath reports whether the load balancer's path is the endpoint's,
// with or without base_url's own path (https://host/api + /health is
// /api/health to the load balancer, which sees the request past any
// proxy prefix as the service does).
func samePath(baseURL, endpoint, lbPath string) bool {
	if endpoint == lbPath {
		return true
	}
	u, err := url.Parse(baseURL)
	return err == nil && strings.TrimRight(u.Path, "/")+endpoint == lbPath
}

// codeRange is an inclusive range of HTTP status codes.
type codeRange struct{ lo, hi int }

// parseMatcher parses an HttpCode matcher: "200", "200-299", "200,302".
func parseMatcher(s string) ([]codeRange, bool) {
	var out []codeRange
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		l, err := strconv.Atoi(lo)
		if err != nil {
			return nil, false
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(hi); err != nil || h < l {
				return nil, false
			}
		}
		out = append(out, codeRange{l, h})
	}
	return out, len(out) > 0
}

// acceptsOnly reports whether every code the matcher accepts is one the
// endpoint expects (any 2xx when expect is empty). A matcher narrower
// than expect_status (200 against any 2xx, the defaults of both) agrees:
// a service answering 200 is healthy to both. A wider one lets the load
// balancer keep a target omdeploy fails, or the reverse when none overlap.
func acceptsOnly(matcher []codeRange, expect []int) bool {
	for _, r := range matcher {
		for c := r.lo; c <= r.hi; c++ {
			if len(expect) == 0 && (c < 200 || c > 299) {
				return false
			}
			if len(expect) > 0 && !slices.Contains(expect, c) {
				return false
			}
		}
	}
	return true
}

func expectText(expect []int) string {
	if len(expect) == 0 {
		return "any 2xx"
	}
	s := make([]string, len(expect))
	for i, c := range expect {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
