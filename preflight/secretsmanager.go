package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/secretref"
)

// codeSecretNotFound is Secrets Manager's answer for a secret that does not
// exist (or that the caller may not know of in that account).
const codeSecretNotFound = "ResourceNotFoundException"

// hasSecretsManagerRefs reports whether any of values is a Secrets Manager
// ARN.
func hasSecretsManagerRefs(values []string) bool {
	return slices.ContainsFunc(values, secretref.IsSecretsManager)
}

// containerSecrets lists the valueFrom of every container's secrets.
func containerSecrets(td *ecstypes.TaskDefinition) []string {
	var values []string
	for _, c := range td.ContainerDefinitions {
		for _, sec := range c.Secrets {
			values = append(values, aws.ToString(sec.ValueFrom))
		}
	}
	return values
}

func (r *runner) checkConfigSecrets(ctx context.Context) Check {
	if why := r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	return r.checkSecretRefs(ctx, r.opts.Config.SSMParameters, "the config's ssm_parameters")
}

func (s *serviceFacts) checkSecretsManager(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	// The references the revision to register holds: a task definition
	// file may add one the running revision lacks.
	td := s.next.get(ctx)
	if td.taskDef == nil {
		return skip("task definition unknown: %s", td.why)
	}
	return s.r.checkSecretRefs(ctx, containerSecrets(td.taskDef), "task definition "+shortTaskDef(aws.ToString(td.taskDef.TaskDefinitionArn)))
}

// checkSecretRefs proves each Secrets Manager secret in values exists in
// the region its ARN names, is not scheduled for deletion, and has the
// version stage or id the reference asks for. It calls DescribeSecret
// only: the metadata answers all of that, and no value is ever fetched.
func (r *runner) checkSecretRefs(ctx context.Context, values []string, origin string) Check {
	if r.aws.SecretsIn == nil {
		return skip("no Secrets Manager client; not checked")
	}
	bySecret := map[string][]secretref.Ref{}
	var order []string
	var problems []string
	var firstID string
	var firstVars map[string]string
	bad := func(id string, vars map[string]string, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if firstID == "" {
			firstID, firstVars = id, vars
		}
	}
	for _, v := range values {
		if !secretref.IsSecretsManager(v) {
			continue
		}
		ref, err := secretref.Parse(v)
		if err != nil {
			bad(runbook.SecretMissing, map[string]string{"region": r.region(), "name": v}, "%v", err)
			continue
		}
		id := ref.SecretID()
		if _, ok := bySecret[id]; !ok {
			order = append(order, id)
		}
		if !slices.Contains(bySecret[id], ref) {
			bySecret[id] = append(bySecret[id], ref)
		}
	}
	if len(order) == 0 && len(problems) == 0 {
		return pass("%s references no Secrets Manager secret", origin)
	}
	checked := 0
	for _, id := range order {
		refs := bySecret[id]
		region := refs[0].Region
		vars := map[string]string{"secret": id, "region": region, "name": refs[0].Name}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := r.aws.SecretsIn(region).DescribeSecret(cctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		cancel()
		switch {
		case awsx.Code(err) == codeSecretNotFound:
			bad(runbook.SecretMissing, vars, "secret %s not found in %s", id, region)
			continue
		case err != nil:
			c := r.awsFail(err, "secretsmanager:DescribeSecret %s in %s", id, region)
			c.Status = event.StatusWarn
			c.Message = fmt.Sprintf("could not check secret %s of %s in %s: %s", id, origin, region, errCode(err))
			return c
		case out.DeletedDate != nil:
			bad(runbook.SecretDeleted, vars, "secret %s (%s) is scheduled for deletion on %s", id, region, out.DeletedDate.UTC().Format("2006-01-02"))
			continue
		}
		checked++
		for _, ref := range refs {
			if why := missingVersion(ref, out.VersionIdsToStages); why != "" {
				vv := map[string]string{"secret": id, "region": region, "version": ref.Version()}
				bad(runbook.SecretVersionMissing, vv, "secret %s (%s) %s", id, region, why)
			}
		}
	}
	if len(problems) > 0 {
		return fail(firstID, firstVars, "%s (%d of %d Secrets Manager secret(s) referenced by %s exist)", strings.Join(problems, "; "), checked, len(order), origin)
	}
	return pass("all %d Secrets Manager secret(s) of %s exist with the versions they name; values not read", len(order), origin)
}

// missingVersion says what the secret lacks of the version ref names, or "".
// ECS reads AWSCURRENT when the reference names neither stage nor id, and
// every secret with a value has one.
func missingVersion(ref secretref.Ref, versions map[string][]string) string {
	if ref.VersionID != "" {
		stages, ok := versions[ref.VersionID]
		switch {
		case !ok:
			return fmt.Sprintf("has no version id %s", ref.VersionID)
		case ref.VersionStage != "" && !slices.Contains(stages, ref.VersionStage):
			return fmt.Sprintf("version id %s is not in stage %s (its stages: %s)", ref.VersionID, ref.VersionStage, strings.Join(stages, ", "))
		}
		return ""
	}
	stage := ref.VersionStage
	if stage == "" {
		stage = "AWSCURRENT"
	}
	for _, stages := range versions {
		if slices.Contains(stages, stage) {
			return ""
		}
	}
	return fmt.Sprintf("has no version in stage %s", stage)
}

// artifactPermissions are the calls images.exist and secrets.exist make
// for td, on their resources, for the IAM simulation: ecr:BatchGetImage on
// each ECR repository of the planned images, secretsmanager:DescribeSecret
// on each secret. ecr:GetDownloadUrlForLayer is left out: without it only
// the platform of a single-manifest image goes unverified, which that
// check reports itself.
func (s *serviceFacts) artifactPermissions(ctx context.Context, td *ecstypes.TaskDefinition, partition string) []permission {
	perms := ecrPermissions(s.next.get(ctx).taskDef, partition)
	var secrets []string
	for _, v := range containerSecrets(td) {
		if ref, err := secretref.Parse(v); err == nil && !slices.Contains(secrets, ref.SecretID()) {
			secrets = append(secrets, ref.SecretID())
		}
	}
	if len(secrets) > 0 {
		perms = append(perms, permission{"secretsmanager:DescribeSecret", secrets})
	}
	return perms
}
