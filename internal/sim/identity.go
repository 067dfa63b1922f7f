package sim

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// GetCallerIdentity answers with the simulated principal.
func (s *Sim) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "GetCallerIdentity"); err != nil {
		return nil, err
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(Account), Arn: aws.String(Principal), UserId: aws.String("AROASIMULATED:omdeploy-sim")}, nil
}

// GetParameters reports which parameters exist. It never returns a value,
// decrypted or not: nothing in omdeploy needs one.
func (s *Sim) GetParameters(ctx context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "GetParameters"); err != nil {
		return nil, err
	}
	if len(in.Names) > 10 {
		return nil, apiError("ValidationException", "names must have at most 10 items")
	}
	out := &ssm.GetParametersOutput{}
	for _, n := range in.Names {
		name := n
		if i := strings.Index(n, ":parameter"); i >= 0 { // an ARN
			name = n[i+len(":parameter"):]
		}
		if !s.params[name] {
			out.InvalidParameters = append(out.InvalidParameters, n)
			continue
		}
		out.Parameters = append(out.Parameters, ssmtypes.Parameter{
			Name: aws.String(name), Type: ssmtypes.ParameterTypeSecureString, Version: 1,
			ARN: aws.String("arn:aws:ssm:" + Region + ":" + Account + ":parameter" + name),
		})
	}
	return out, nil
}

// GetRole answers for any role name: the simulated account has every role.
func (s *Sim) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "GetRole"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.RoleName)
	return &iam.GetRoleOutput{Role: &iamtypes.Role{
		RoleName: aws.String(name), Arn: aws.String("arn:aws:iam::" + Account + ":role/" + name),
		Path: aws.String("/"), RoleId: aws.String("AROASIM" + strings.ToUpper(name)),
	}}, nil
}

// SimulatePrincipalPolicy allows every action except those DenyAction named.
func (s *Sim) SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "SimulatePrincipalPolicy"); err != nil {
		return nil, err
	}
	resources := in.ResourceArns
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		decision := iamtypes.PolicyEvaluationDecisionTypeAllowed
		if s.denied[a] {
			decision = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		}
		for _, r := range resources {
			out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{
				EvalActionName: aws.String(a), EvalDecision: decision, EvalResourceName: aws.String(r),
			})
		}
	}
	return out, nil
}
