package runbook

// IDs of failures the preflight checklist catches before anything changes.
const (
	IAMPermissionDenied     = "iam.permission-denied"
	SSMParameterMissing     = "ssm.parameter-missing"
	SecretsNotIgnored       = "secrets.not-ignored"
	SecretTracked           = "secrets.tracked"
	ECSClusterMissing       = "ecs.cluster-missing"
	ECSServiceMissing       = "ecs.service-missing"
	ECSDeploymentInProgress = "ecs.deployment-in-progress"
	ECSDeploymentController = "ecs.deployment-controller"
	LogsGroupMissing        = "logs.group-missing"
	HealthUndeclared        = "preflight.health-undeclared"
	HealthBaseline          = "preflight.health-baseline"
	PreflightTimeout        = "preflight.timeout"
	PreflightFailed         = "preflight.failed"
)

var preflightEntries = []Entry{
	{
		ID:      ECSDeploymentController,
		Title:   "The service uses the CODE_DEPLOY or EXTERNAL deployment controller",
		Symptom: "Preflight fails on ecs.service naming the {controller} controller; nothing is registered or updated.",
		Diagnosis: "With CODE_DEPLOY, deployments go through CodeDeploy (CreateDeployment with an AppSpec); with EXTERNAL, through task sets. " +
			"UpdateService cannot change such a service's task definition, so a deploy would register a revision and then fail.",
		Fix: "Deploy this service with its own controller (CodeDeploy or your task-set tooling), or move it to ECS's own blue/green: " +
			"since 2025 ECS runs BLUE_GREEN, LINEAR and CANARY deployments itself. Create the service again with " +
			"`--deployment-controller type=ECS --deployment-configuration strategy=BLUE_GREEN` (the controller of an existing " +
			"service {service} in {cluster} can be changed with `aws ecs update-service --region {region} --cluster {cluster} --service {service} --deployment-controller type=ECS` where your " +
			"load balancer setup allows it), then deploy with omdeploy.",
	},
	{
		ID:        PreflightFailed,
		Title:     "Preflight checks failed",
		Symptom:   "omdeploy exits 3 before changing anything; the failed checks are listed above the summary.",
		Diagnosis: "One or more checks found a problem that would break the deploy mid-way. Each failed check printed its own cause and fix, with the names, regions and files it found.",
		Fix:       "Apply the fix printed under each failed check, then run `omdeploy preflight` until it passes. `--force` accepts a deployment already in progress; warnings fail only with `--strict`; `--skip-preflight` deploys without the checklist, and is rarely what you want.",
	},
	{
		ID:        IAMPermissionDenied,
		Title:     "The deploy role lacks permissions",
		Symptom:   "IAM policy simulation denies actions this deploy needs; preflight lists each with its resource.",
		Diagnosis: "The deploy role or user has no policy allowing them on these resources, or an explicit Deny, a permissions boundary or an SCP blocks them. The deploy would stop half-way with AccessDenied.",
		Fix:       "Grant {principal} the denied actions on the resources listed (for iam:PassRole, on the task and execution roles exactly), or deploy with a role that has them. Confirm one with `aws iam simulate-principal-policy --policy-source-arn {principal} --action-names <action> --resource-arns <arn>`.",
	},
	{
		ID:        SSMParameterMissing,
		Title:     "SSM parameters are missing in the region",
		Symptom:   "SSM parameters named in the config or the task definition's secrets do not exist in the region; tasks would fail to start with ResourceInitializationError.",
		Diagnosis: "Usually the wrong region: the parameter was created in another region than the one the service runs in. Otherwise a typo in the name, or it was never created or was deleted.",
		Fix:       "Find which region holds them: `aws ssm get-parameters --region OTHER-REGION --names {names} --query Parameters[].Name`. Then run omdeploy in that region (`--region`), or create them in {region}: `aws ssm put-parameter --region {region} --type SecureString --name NAME --value VALUE` for each of {names}. Fix a typo in the config's ssm_parameters or the task definition's secrets.",
	},
	{
		ID:        SecretsNotIgnored,
		Title:     "The secrets folder is not ignored by git",
		Symptom:   "git does not ignore the secrets folder: `git add .` would commit it, and `git clean` or a reset can wipe it.",
		Diagnosis: "No .gitignore rule covers it, or a `!` negation re-includes files under it.",
		Fix:       "Add `{path}` to the .gitignore at the top of the repository (and remove any `!` rule that re-includes files under it), then confirm with `git check-ignore -v {path}`.",
	},
	{
		ID:        SecretTracked,
		Title:     "A secret file is committed to git",
		Symptom:   "git tracks a file inside the secrets folder.",
		Diagnosis: "The file was committed before the ignore rule existed, or force-added; an ignore rule does not untrack it, so every push still publishes it.",
		Fix:       "Stop tracking it and keep your copy, from the top folder of the repository: `git rm -r --cached -- {file}`, make sure `{path}` is in .gitignore, and commit. The file stays in the history: rotate every secret it held now, and purge the history (git filter-repo) only after rotating.",
	},
	{
		ID:        ECSClusterMissing,
		Title:     "The ECS cluster is missing or inactive",
		Symptom:   "The config's cluster is not found, or not ACTIVE, in the region.",
		Diagnosis: "The wrong region or account, a typo in the config's cluster, or the cluster was deleted.",
		Fix:       "List the clusters where you are: `aws ecs list-clusters --region {region}`. Run in the cluster's region (`--region`) and account (`aws sts get-caller-identity`), or correct `cluster:` in the config.",
	},
	{
		ID:        ECSServiceMissing,
		Title:     "The ECS service is missing or inactive",
		Symptom:   "The config's service is not found, or not ACTIVE, in its cluster and region.",
		Diagnosis: "A typo in the config's service, the wrong cluster or region, or the service was deleted (a deleted service stays INACTIVE for a while).",
		Fix:       "List the services: `aws ecs list-services --cluster {cluster} --region {region}`. Correct `service:` or `cluster:` in the config; a deleted service has to be created again by your infrastructure code first.",
	},
	{
		ID:        ECSDeploymentInProgress,
		Title:     "A deployment is already in progress",
		Symptom:   "The service has a deployment that has not finished.",
		Diagnosis: "Another deploy (a colleague, CI, or an earlier interrupted run) is still rolling out; deploying now would replace it and hide which one failed.",
		Fix:       "Let it finish: `omdeploy wait` follows it to COMPLETED or FAILED, `omdeploy status` shows where it stands. To replace it anyway, run the deploy again with `--force`. Inspect it with `aws ecs describe-services --cluster {cluster} --services {service} --region {region} --query 'services[0].deployments'`.",
	},
	{
		ID:        LogsGroupMissing,
		Title:     "The awslogs log group does not exist",
		Symptom:   "A container logs with awslogs to a group that does not exist in its region: tasks fail to start or log nothing (CloudWatch log silence).",
		Diagnosis: "A wrong `awslogs-group` or `awslogs-region` in the task definition, or the group was never created by the infrastructure code.",
		Fix:       "Create the group: `aws logs create-log-group --region {region} --log-group-name {group}` (or in Terraform/CDK), or correct awslogs-group/awslogs-region in the task definition. Alternatively set `awslogs-create-group: \"true\"` and allow logs:CreateLogGroup to the execution role.",
	},
	{
		ID:        HealthUndeclared,
		Title:     "No health endpoints are declared",
		Symptom:   "A service has no `health:` in the config, so a deploy cannot be verified beyond ECS's own view.",
		Diagnosis: "The service's canonical health endpoints were never written down; the old runbook's phantom /api/health came from guessing them.",
		Fix:       "Declare the endpoints the service really serves (confirm them in its route code): `health: {base_url: https://host, endpoints: [/healthz]}` under the service in the config.",
	},
	{
		ID:        HealthBaseline,
		Title:     "A health endpoint does not answer before the deploy",
		Symptom:   "The baseline GET of a declared health endpoint did not get the expected answer before anything changed.",
		Diagnosis: "The path is not a real route (404), the base_url points at the wrong host, the service is already unhealthy, or this machine cannot reach it. A deploy verified against it would fail for reasons the deploy did not cause.",
		Fix:       "Try it yourself: `curl -si {url}`. Correct the path or base_url in the config to an endpoint the service serves, or fix the running service first. Start with health checks.",
	},
	{
		ID:        PreflightTimeout,
		Title:     "Preflight checks did not finish in time",
		Symptom:   "A check was still waiting when the checklist's time budget ran out.",
		Diagnosis: "A slow or unreachable AWS endpoint (network, proxy, VPN), heavy throttling, or a health endpoint that hangs.",
		Fix:       "Check reachability with `aws sts get-caller-identity --region {region}`, then run `omdeploy preflight` again. If AWS is merely slow, give the checklist a longer budget.",
	},
}
