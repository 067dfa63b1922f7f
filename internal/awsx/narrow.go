package awsx

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The Narrow* adapters hold an SDK client as method values of the
// operations omdeploy calls, and are what the run hands to its
// interfaces instead of the client itself. Why: the binary links
// text/template (urfave/cli's help), whose reflective method calls make
// the linker keep every exported method of every type stored in an
// interface. A *iam.Client in an interface links all of IAM's ~170
// operations with their serializers; narrowed, the binary has the ones
// below. It is megabytes per service, and it is what lets go.mod pin
// service modules before their schema-based serialisation (see go.mod)
// within the binary-size budget of issue 16. A method missing here is a
// compile error at the site that needs it: add it.

// IAMOps is a *iam.Client narrowed to the operations omdeploy calls.
type IAMOps struct {
	getRole                 func(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	simulatePrincipalPolicy func(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// NarrowIAM narrows c to IAMOps.
func NarrowIAM(c *iam.Client) IAMOps {
	return IAMOps{
		getRole:                 c.GetRole,
		simulatePrincipalPolicy: c.SimulatePrincipalPolicy,
	}
}

// GetRole calls iam's GetRole.
func (n IAMOps) GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return n.getRole(ctx, in, optFns...)
}

// SimulatePrincipalPolicy calls iam's SimulatePrincipalPolicy.
func (n IAMOps) SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return n.simulatePrincipalPolicy(ctx, in, optFns...)
}

// SSMOps is a *ssm.Client narrowed to the operations omdeploy calls.
type SSMOps struct {
	deleteParameter func(context.Context, *ssm.DeleteParameterInput, ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
	getParameter    func(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	getParameters   func(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
	putParameter    func(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// NarrowSSM narrows c to SSMOps.
func NarrowSSM(c *ssm.Client) SSMOps {
	return SSMOps{
		deleteParameter: c.DeleteParameter,
		getParameter:    c.GetParameter,
		getParameters:   c.GetParameters,
		putParameter:    c.PutParameter,
	}
}

// DeleteParameter calls ssm's DeleteParameter.
func (n SSMOps) DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	return n.deleteParameter(ctx, in, optFns...)
}

// GetParameter calls ssm's GetParameter.
func (n SSMOps) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return n.getParameter(ctx, in, optFns...)
}

// GetParameters calls ssm's GetParameters.
func (n SSMOps) GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	return n.getParameters(ctx, in, optFns...)
}

// PutParameter calls ssm's PutParameter.
func (n SSMOps) PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	return n.putParameter(ctx, in, optFns...)
}

// LogsOps is a *cloudwatchlogs.Client narrowed to the operations omdeploy calls.
type LogsOps struct {
	describeLogGroups func(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	filterLogEvents   func(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	getLogEvents      func(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// NarrowLogs narrows c to LogsOps.
func NarrowLogs(c *cloudwatchlogs.Client) LogsOps {
	return LogsOps{
		describeLogGroups: c.DescribeLogGroups,
		filterLogEvents:   c.FilterLogEvents,
		getLogEvents:      c.GetLogEvents,
	}
}

// DescribeLogGroups calls cloudwatchlogs's DescribeLogGroups.
func (n LogsOps) DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	return n.describeLogGroups(ctx, in, optFns...)
}

// FilterLogEvents calls cloudwatchlogs's FilterLogEvents.
func (n LogsOps) FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	return n.filterLogEvents(ctx, in, optFns...)
}

// GetLogEvents calls cloudwatchlogs's GetLogEvents.
func (n LogsOps) GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	return n.getLogEvents(ctx, in, optFns...)
}

// ELBv2Ops is a *elasticloadbalancingv2.Client narrowed to the operations omdeploy calls.
type ELBv2Ops struct {
	describeListeners             func(context.Context, *elasticloadbalancingv2.DescribeListenersInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeListenersOutput, error)
	describeRules                 func(context.Context, *elasticloadbalancingv2.DescribeRulesInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeRulesOutput, error)
	describeTargetGroupAttributes func(context.Context, *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error)
	describeTargetGroups          func(context.Context, *elasticloadbalancingv2.DescribeTargetGroupsInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error)
	describeTargetHealth          func(context.Context, *elasticloadbalancingv2.DescribeTargetHealthInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
}

// NarrowELBv2 narrows c to ELBv2Ops.
func NarrowELBv2(c *elasticloadbalancingv2.Client) ELBv2Ops {
	return ELBv2Ops{
		describeListeners:             c.DescribeListeners,
		describeRules:                 c.DescribeRules,
		describeTargetGroupAttributes: c.DescribeTargetGroupAttributes,
		describeTargetGroups:          c.DescribeTargetGroups,
		describeTargetHealth:          c.DescribeTargetHealth,
	}
}

// DescribeListeners calls elasticloadbalancingv2's DescribeListeners.
func (n ELBv2Ops) DescribeListeners(ctx context.Context, in *elasticloadbalancingv2.DescribeListenersInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeListenersOutput, error) {
	return n.describeListeners(ctx, in, optFns...)
}

// DescribeRules calls elasticloadbalancingv2's DescribeRules.
func (n ELBv2Ops) DescribeRules(ctx context.Context, in *elasticloadbalancingv2.DescribeRulesInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeRulesOutput, error) {
	return n.describeRules(ctx, in, optFns...)
}

// DescribeTargetGroupAttributes calls elasticloadbalancingv2's DescribeTargetGroupAttributes.
func (n ELBv2Ops) DescribeTargetGroupAttributes(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error) {
	return n.describeTargetGroupAttributes(ctx, in, optFns...)
}

// DescribeTargetGroups calls elasticloadbalancingv2's DescribeTargetGroups.
func (n ELBv2Ops) DescribeTargetGroups(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupsInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error) {
	return n.describeTargetGroups(ctx, in, optFns...)
}

// DescribeTargetHealth calls elasticloadbalancingv2's DescribeTargetHealth.
func (n ELBv2Ops) DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error) {
	return n.describeTargetHealth(ctx, in, optFns...)
}

// ECROps is a *ecr.Client narrowed to the operations omdeploy calls.
type ECROps struct {
	batchGetImage          func(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
	getDownloadUrlForLayer func(context.Context, *ecr.GetDownloadUrlForLayerInput, ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error)
}

// NarrowECR narrows c to ECROps.
func NarrowECR(c *ecr.Client) ECROps {
	return ECROps{
		batchGetImage:          c.BatchGetImage,
		getDownloadUrlForLayer: c.GetDownloadUrlForLayer,
	}
}

// BatchGetImage calls ecr's BatchGetImage.
func (n ECROps) BatchGetImage(ctx context.Context, in *ecr.BatchGetImageInput, optFns ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error) {
	return n.batchGetImage(ctx, in, optFns...)
}

// GetDownloadUrlForLayer calls ecr's GetDownloadUrlForLayer.
func (n ECROps) GetDownloadUrlForLayer(ctx context.Context, in *ecr.GetDownloadUrlForLayerInput, optFns ...func(*ecr.Options)) (*ecr.GetDownloadUrlForLayerOutput, error) {
	return n.getDownloadUrlForLayer(ctx, in, optFns...)
}

// SecretsManagerOps is a *secretsmanager.Client narrowed to the operations omdeploy calls.
type SecretsManagerOps struct {
	describeSecret func(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// NarrowSecretsManager narrows c to SecretsManagerOps.
func NarrowSecretsManager(c *secretsmanager.Client) SecretsManagerOps {
	return SecretsManagerOps{
		describeSecret: c.DescribeSecret,
	}
}

// DescribeSecret calls secretsmanager's DescribeSecret.
func (n SecretsManagerOps) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return n.describeSecret(ctx, in, optFns...)
}

// EventBridgeOps is a *eventbridge.Client narrowed to the operations omdeploy calls.
type EventBridgeOps struct {
	describeRule          func(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	listRuleNamesByTarget func(context.Context, *eventbridge.ListRuleNamesByTargetInput, ...func(*eventbridge.Options)) (*eventbridge.ListRuleNamesByTargetOutput, error)
	listTargetsByRule     func(context.Context, *eventbridge.ListTargetsByRuleInput, ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	putTargets            func(context.Context, *eventbridge.PutTargetsInput, ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
}

// NarrowEventBridge narrows c to EventBridgeOps.
func NarrowEventBridge(c *eventbridge.Client) EventBridgeOps {
	return EventBridgeOps{
		describeRule:          c.DescribeRule,
		listRuleNamesByTarget: c.ListRuleNamesByTarget,
		listTargetsByRule:     c.ListTargetsByRule,
		putTargets:            c.PutTargets,
	}
}

// DescribeRule calls eventbridge's DescribeRule.
func (n EventBridgeOps) DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	return n.describeRule(ctx, in, optFns...)
}

// ListRuleNamesByTarget calls eventbridge's ListRuleNamesByTarget.
func (n EventBridgeOps) ListRuleNamesByTarget(ctx context.Context, in *eventbridge.ListRuleNamesByTargetInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListRuleNamesByTargetOutput, error) {
	return n.listRuleNamesByTarget(ctx, in, optFns...)
}

// ListTargetsByRule calls eventbridge's ListTargetsByRule.
func (n EventBridgeOps) ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error) {
	return n.listTargetsByRule(ctx, in, optFns...)
}

// PutTargets calls eventbridge's PutTargets.
func (n EventBridgeOps) PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error) {
	return n.putTargets(ctx, in, optFns...)
}
