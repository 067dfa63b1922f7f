package runbook

// Rollout failure classes: what deploy, wait and rollback detect while
// following a deployment. The entries a stopped task can point at
// (RolloutCrashLoop, RolloutImagePull, RolloutResourceInit) take no
// placeholders, because they are shown once per task; the others may use
// {service}, {cluster}, {region}, {deployment}, {taskdef}, {previous} and
// {timeout}, which deploy fills in.
const (
	RolloutCircuitBreaker   = "rollout.circuit-breaker"
	RolloutCrashLoop        = "rollout.crash-loop"
	RolloutImagePull        = "rollout.image-pull"
	RolloutResourceInit     = "rollout.resource-init"
	RolloutCapacity         = "rollout.capacity"
	RolloutReplaced         = "rollout.replaced"
	RolloutTimeout          = "rollout.timeout"
	RolloutLogSilence       = "rollout.log-silence"
	RolloutRollbackFailed   = "rollout.rollback-failed"
	RolloutNotFound         = "rollout.not-found"
	RolloutNoRollbackTarget = "rollout.no-rollback-target"

	RolloutStateUnknown        = "rollout.state-unknown"
	RolloutUpdateUnknown       = "rollout.update-unknown"
	RolloutRollbackUnconfirmed = "rollout.rollback-unconfirmed"
	RolloutAlarm               = "rollout.alarm"
	// RolloutHookUnknown: ContinueServiceDeployment got no answer and the
	// read-back could not tell whether the hook was released.
	RolloutHookUnknown = "rollout.hook-unknown"
)

var rolloutEntries = []Entry{
	{
		ID:    RolloutHookUnknown,
		Title: "A lifecycle hook release or a rollback request got no answer",
		Symptom: "omdeploy exits 6: ContinueServiceDeployment or StopServiceDeployment for {service} got no answer, " +
			"and reading the service deployment back failed too.",
		Diagnosis: "ECS may or may not have applied the request: the deployment may be going on, waiting at its hook, " +
			"or rolling back. omdeploy does not guess.",
		Fix: "1. `aws ecs list-service-deployments --cluster {cluster} --service {service}` and " +
			"`aws ecs describe-service-deployments --service-deployment-arns <arn>` show its status and hooks.\n" +
			"2. If it still waits at a hook: `omdeploy continue --service {service}` (or `--rollback`).\n" +
			"3. Otherwise follow it with `omdeploy wait --service {service}`.",
	},
	{
		ID:    RolloutAlarm,
		Title: "A CloudWatch alarm fired during the service deployment",
		Symptom: "The service deployment lists the alarm under triggeredAlarmNames and ends ROLLBACK_SUCCESSFUL " +
			"(alarms with rollback) or STOPPED; omdeploy names the alarm and does not roll back again after ECS did.",
		Diagnosis: "The new revision ran, but a metric the deployment watches (errors, latency, a canary's health) " +
			"crossed its alarm threshold while traffic moved or during bake time.",
		Fix: "1. Read the alarm's history: `aws cloudwatch describe-alarm-history --alarm-name <alarm>` and the metric it watches.\n" +
			"2. Look at the new revision's logs and traces for the time the alarm fired.\n" +
			"3. Fix the regression and deploy again; the service is back on {previous} if ECS's rollback completed " +
			"(`aws ecs list-service-deployments --cluster {cluster} --service {service}`).",
	},
	{
		ID:    RolloutCircuitBreaker,
		Title: "ECS deployment circuit breaker marked the deployment FAILED",
		Symptom: "The deployment's rolloutState turns FAILED with \"ECS deployment circuit breaker: tasks failed to start\"; " +
			"with rollback enabled on the breaker, ECS starts a new deployment on the previous task definition.",
		Diagnosis: "New tasks kept stopping before they became healthy, enough of them to trip the breaker's threshold " +
			"(half the desired count, at least 3). The breaker says only that tasks failed; the stopped tasks say why.",
		Fix: "1. Read the stopped tasks omdeploy listed under the diagnosis: stop reason, exit codes, last log lines.\n" +
			"2. If none were listed, look yourself: `aws ecs list-tasks --cluster {cluster} --started-by {deployment} --desired-status STOPPED`, " +
			"then `aws ecs describe-tasks --cluster {cluster} --tasks <arn>`.\n" +
			"3. Fix the cause (image, config, secrets, the app) and deploy again; the service is back on {previous} if the rollback completed.",
	},
	{
		ID:    RolloutCrashLoop,
		Title: "An essential container exits right after starting",
		Symptom: "Stopped tasks say \"Essential container in task exited\" with a non-zero exit code; ECS starts replacements " +
			"that exit the same way until the circuit breaker or the timeout ends the rollout.",
		Diagnosis: "The image started, so pulling and secrets worked; the application itself quit: a missing or wrong " +
			"environment variable, a database or dependency it cannot reach, a failed migration, a bad command, or too " +
			"little memory (exit code 137 means it was killed, usually out of memory).",
		Fix: "1. Read the container's last log lines printed with the diagnosis; they usually name the error.\n" +
			"2. Exit code 137: raise the container's or task's memory. Exit code 1 or 2: an application error — read the log.\n" +
			"3. Reproduce locally with the same image and environment: `docker run --rm -e ... <image>`.\n" +
			"4. Fix the app or its configuration and deploy a new image; do not retry the same image hoping it passes.",
	},
	{
		ID:      RolloutImagePull,
		Title:   "ECS cannot pull the container image (CannotPullContainerError)",
		Symptom: "Tasks stop before any container starts, with \"CannotPullContainerError\" in the stop reason; no application logs exist.",
		Diagnosis: "The image reference is wrong (a typo, a tag that was never pushed, a deleted tag), or the task cannot reach " +
			"or authenticate to the registry: the execution role lacks ecr:GetAuthorizationToken / ecr:BatchGetImage, " +
			"a private registry's credentials are missing, or the subnet has no route to the registry (no NAT gateway or VPC endpoint).",
		Fix: "1. Check the image exists: `aws ecr describe-images --repository-name <repo> --image-ids imageTag=<tag>` " +
			"(or `docker manifest inspect <image>` for another registry).\n" +
			"2. If it exists, check the task definition's execution role has the AmazonECSTaskExecutionRolePolicy (or the ECR pull actions).\n" +
			"3. For tasks in private subnets, check the route to the registry: a NAT gateway, or VPC endpoints for ecr.api, ecr.dkr and s3.\n" +
			"4. Deploy again with the right --image or --tag.",
	},
	{
		ID:      RolloutResourceInit,
		Title:   "Task initialization failed (ResourceInitializationError: secrets or registry auth)",
		Symptom: "Tasks stop before starting with \"ResourceInitializationError: unable to pull secrets or registry auth\"; no application logs exist.",
		Diagnosis: "Before starting containers, ECS fetches the task's secrets (SSM parameters, Secrets Manager) and registry " +
			"credentials with the task's execution role. A referenced SSM parameter does not exist in that region, the " +
			"execution role may not read it (ssm:GetParameters, kms:Decrypt for a customer key, secretsmanager:GetSecretValue), " +
			"or the task has no network path to SSM/Secrets Manager.",
		Fix: "1. Read the parameter name in the stop reason and check it exists in the task's region: " +
			"`aws ssm get-parameters --names <name>` (without --with-decryption).\n" +
			"2. Check the execution role (the task definition's executionRoleArn, not the task role) allows ssm:GetParameters " +
			"on it, and kms:Decrypt if it is encrypted with your own key.\n" +
			"3. For private subnets, check the route to SSM and Secrets Manager (NAT gateway or VPC endpoints).\n" +
			"4. Run `omdeploy preflight`: it checks the parameters and the role before a deploy.",
	},
	{
		ID:    RolloutCapacity,
		Title: "ECS is unable to place tasks",
		Symptom: "Service events repeat \"was unable to place a task because no container instance met all of its requirements\" " +
			"and the new deployment's running count does not move.",
		Diagnosis: "The cluster has no room for the task: no container instances, not enough CPU or memory, a port already " +
			"taken on every instance, a placement constraint nothing satisfies, or (Fargate) no capacity or no free IP " +
			"addresses in the subnets.",
		Fix: "1. Read the reason after \"Reason:\" in the service event omdeploy printed.\n" +
			"2. EC2 capacity: scale the Auto Scaling group or capacity provider, or lower the task's cpu/memory.\n" +
			"3. Fargate: check the subnets have free IP addresses and try again later if AWS reports no capacity.\n" +
			"4. Check the service's placement constraints and that a rolling update has room (minimumHealthyPercent / maximumPercent).",
	},
	{
		ID:      RolloutReplaced,
		Title:   "Another deployment replaced this one",
		Symptom: "omdeploy stops following its deployment because a different deployment became PRIMARY for {service}.",
		Diagnosis: "Someone or something else updated the service while this rollout ran: another pipeline, a person in " +
			"the console, an auto-scaling or infrastructure tool applying its own task definition. omdeploy does not roll " +
			"back over it, so as not to fight the other change.",
		Fix: "1. Run `omdeploy status` to see which deployment and task definition are now PRIMARY and who started it (service events).\n" +
			"2. Make one pipeline own deploys of {service}; serialise deploys (a CI concurrency group) instead of racing them.\n" +
			"3. When the other deployment is finished, deploy again if your change is still needed.",
	},
	{
		ID:      RolloutTimeout,
		Title:   "The rollout did not finish in time",
		Symptom: "omdeploy gave up after {timeout} with the deployment still IN_PROGRESS.",
		Diagnosis: "The new tasks are slow to become healthy, are failing and being replaced without tripping a circuit " +
			"breaker, cannot be placed, or are waiting for load balancer health checks and connection draining " +
			"(deregistration delay) that take longer than the timeout.",
		Fix: "1. Read the diagnosis and service events omdeploy printed: stopped tasks, placement failures.\n" +
			"2. `omdeploy status` shows where the deployment stands now; `omdeploy wait` follows it further.\n" +
			"3. If the rollout is healthy but slow, raise `wait_timeout` for the service (or --timeout) and shorten the target " +
			"group's deregistration delay.\n" +
			"4. Enable the deployment circuit breaker with rollback on the service so that failing rollouts end on their own.",
	},
	{
		ID:      RolloutLogSilence,
		Title:   "A stopped container left no log lines in CloudWatch",
		Symptom: "The diagnosis says \"no log lines\" for a container that exited: the log stream does not exist or is empty.",
		Diagnosis: "The awslogs configuration points to a log group that does not exist or to the wrong region, the " +
			"execution role cannot create log streams or put events (logs:CreateLogStream, logs:PutLogEvents), or the " +
			"application died before writing anything (a bad entrypoint prints nothing).",
		Fix: "1. Compare the task definition's `awslogs-group` and `awslogs-region` with the log groups that exist: " +
			"`aws logs describe-log-groups --log-group-name-prefix <group>`.\n" +
			"2. Create the group if missing (or set `awslogs-create-group: true` and allow logs:CreateLogGroup).\n" +
			"3. Check the execution role has logs:CreateLogStream and logs:PutLogEvents on the group.\n" +
			"4. If logging works for other tasks, the process exited before writing: check the image's entrypoint and command.",
	},
	{
		ID:      RolloutRollbackFailed,
		Title:   "The rollback did not complete",
		Symptom: "After a failed deploy, the deployment back to {previous} also failed, timed out or could not be started; omdeploy exits 6.",
		Diagnosis: "The previous revision no longer starts either (its image was deleted, a secret it reads was removed, " +
			"the cluster lost capacity), or the credentials or permissions ran out mid-run. The service may be running a " +
			"mix of revisions or fewer tasks than desired.",
		Fix: "1. Run `omdeploy status` now: it shows the task definition, the deployments and their counts for {service}.\n" +
			"2. Read the diagnosis of the rollback deployment: the same causes as any rollout (image, secrets, capacity, crash).\n" +
			"3. Roll back to a revision known to work: `omdeploy rollback --to-revision N`, then `omdeploy wait`.\n" +
			"4. Escalate if the service is down: this is an incident, not a deploy problem.",
	},
	{
		ID:      RolloutNotFound,
		Title:   "ECS service or cluster not found",
		Symptom: "omdeploy says service {service} or cluster {cluster} does not exist in {region}.",
		Diagnosis: "The config names a cluster or service that does not exist in that account and region: a typo, a " +
			"service created under another name, the wrong region (flag, AWS_REGION, profile), or the wrong account (profile).",
		Fix: "1. List what exists: `aws ecs list-clusters --region {region}` and `aws ecs list-services --cluster {cluster} --region {region}`.\n" +
			"2. Check the account: `aws sts get-caller-identity`.\n" +
			"3. Correct `cluster`/`service` in the config, or the region/profile you run with.",
	},
	{
		ID:      RolloutNoRollbackTarget,
		Title:   "No revision to roll back to",
		Symptom: "omdeploy cannot roll {service} back: there is no earlier ACTIVE revision of {taskdef}, or the deploy reused the current revision.",
		Diagnosis: "A rollback needs a different task definition to return to. The family has only one ACTIVE revision " +
			"(earlier ones were deregistered), the requested --to-revision does not exist, or the deploy was a " +
			"--force-new-deployment of the revision already running, so going back would change nothing.",
		Fix: "1. List the revisions: `aws ecs list-task-definitions --family-prefix <family> --sort DESC`.\n" +
			"2. Roll back to one explicitly: `omdeploy rollback --to-revision N`, or deploy a known-good image: `omdeploy deploy --image <repo>:<good-tag>`.\n" +
			"3. Do not deregister task definitions that you may need to roll back to.",
	},
	{
		ID:    RolloutStateUnknown,
		Title: "The deployment's state could not be read when it had to be judged",
		Symptom: "omdeploy exits 6 saying the outcome of deployment {deployment} is unknown: its DescribeServices polls failed " +
			"(throttled, timed out, no answer) at and after the {timeout} wait deadline, through the grace period that followed.",
		Diagnosis: "A deployment is judged only on a state omdeploy saw: it never calls a rollout timed out, and never rolls back, " +
			"on polls that failed. A throttling storm on the account (other tools polling ECS), a network problem or an ECS " +
			"outage kept every read from succeeding. ECS carries on with the deployment either way.",
		Fix: "1. Run `omdeploy status --service {service}` to see where {service} stands in {cluster}.\n" +
			"2. If deployment {deployment} is still IN_PROGRESS, `omdeploy wait --service {service}` follows it to its end; " +
			"if it completed, nothing is left to do; to go back, `omdeploy rollback --service {service}`.\n" +
			"3. If polls are throttled, find what else calls ECS in {region} on this account (CloudTrail) and slow it down.",
	},
	{
		ID:    RolloutUpdateUnknown,
		Title: "UpdateService got no answer, and whether it was applied is unknown",
		Symptom: "omdeploy exits 6 saying the update of {service} to {taskdef} may or may not have been applied: the call " +
			"failed after it was sent (dropped connection, timeout, interrupt) and the service could not be read back.",
		Diagnosis: "A write whose answer is lost may have been applied by ECS. omdeploy reads the service back to find out; when " +
			"that read fails too, it cannot know whether a new deployment is rolling out, so it neither follows nor rolls back.",
		Fix: "1. Run `omdeploy status --service {service}`: it shows which task definition and deployment are PRIMARY.\n" +
			"2. If the service is on {taskdef} (a new deployment), follow it with `omdeploy wait --service {service}`, " +
			"or go back with `omdeploy rollback --service {service}`.\n" +
			"3. If it is still on {previous}, nothing was changed: deploy again once AWS answers (check the network and credentials).",
	},
	{
		ID:    RolloutRollbackUnconfirmed,
		Title: "A rollback was started but not followed to its end",
		Symptom: "omdeploy exits 6 after starting a rollback of {service} to {previous}: the run's time ran out " +
			"(--timeout) before the rollback deployment could be followed.",
		Diagnosis: "The rollback deployment was created and ECS carries on with it, but omdeploy did not see it complete, so " +
			"it cannot say whether {service} is healthy on {previous}.",
		Fix: "1. Follow the rollback: `omdeploy wait --service {service}`.\n" +
			"2. `omdeploy status --service {service}` shows where it stands now.\n" +
			"3. Give runs enough time for a rollout and a rollback: --timeout at least twice the service's wait_timeout, or no --timeout.",
	},
}
