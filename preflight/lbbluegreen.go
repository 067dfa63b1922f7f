package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// ELBv2's answers for a rule or listener ARN that does not exist.
const (
	codeRuleNotFound     = "RuleNotFound"
	codeListenerNotFound = "ListenerNotFound"
)

// checkBlueGreen checks a blue/green load balancer entry's advanced
// configuration (ECS's own blue/green, the service-deployments strategy
// BLUE_GREEN): the alternate target group the new revision starts in is
// checked as the primary one is (exists, forwarded to, target type, health
// check), and the production and test listener rules ECS shifts traffic
// with exist. An ALB names rules (listener-rule ARNs), an NLB listeners.
func (s *serviceFacts) checkBlueGreen(ctx context.Context, lb ecstypes.LoadBalancer, td *ecstypes.TaskDefinition) ([]lbFinding, string, error) {
	ac := lb.AdvancedConfiguration
	var findings []lbFinding
	var ok []string
	if alt := aws.ToString(ac.AlternateTargetGroupArn); alt != "" {
		altLB := lb
		altLB.TargetGroupArn, altLB.AdvancedConfiguration = aws.String(alt), nil
		fs, pass, err := s.checkTargetGroup(ctx, altLB, td, true)
		if err != nil {
			return nil, "", err
		}
		for _, f := range fs {
			f.text = "alternate " + f.text
			findings = append(findings, f)
		}
		if len(fs) == 0 {
			ok = append(ok, "alternate "+pass)
		}
	}
	for _, r := range []struct{ name, arn string }{
		{"production listener rule", aws.ToString(ac.ProductionListenerRule)},
		{"test listener rule", aws.ToString(ac.TestListenerRule)},
	} {
		if r.arn == "" {
			continue
		}
		found, err := s.listenerRuleExists(ctx, r.arn)
		if err != nil {
			return nil, "", err
		}
		if !found {
			vars := s.vars()
			findings = append(findings, lbFinding{status: event.StatusFail, runbookID: runbook.LBListenerRuleMissing, vars: vars,
				text: fmt.Sprintf("the blue/green %s %s does not exist in %s: ECS could not shift traffic", r.name, r.arn, s.r.region())})
			continue
		}
		ok = append(ok, r.name+" exists")
	}
	return findings, strings.Join(ok, ", "), nil
}

// listenerRuleExists reports whether the rule (or an NLB's listener) arn
// exists.
func (s *serviceFacts) listenerRuleExists(ctx context.Context, arn string) (bool, error) {
	var err error
	var code string
	if strings.Contains(arn, ":listener-rule/") {
		_, err = s.r.aws.ELBv2.DescribeRules(ctx, &elasticloadbalancingv2.DescribeRulesInput{RuleArns: []string{arn}})
		code = codeRuleNotFound
	} else {
		_, err = s.r.aws.ELBv2.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{ListenerArns: []string{arn}})
		code = codeListenerNotFound
	}
	switch {
	case awsx.Code(err) == code:
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
