package runbook

// IDs of failures the lb.target-groups check catches: a service's load
// balancer wiring that would keep new tasks from ever turning healthy
// behind the load balancer, or that judges health differently from
// omdeploy.
const (
	LBTargetGroupMissing   = "lb.target-group-missing"
	LBTargetTypeMismatch   = "lb.target-type-mismatch"
	LBContainerPortMissing = "lb.container-port-missing"
	LBHealthPathMismatch   = "lb.health-path-mismatch"
	LBMatcherMismatch      = "lb.matcher-mismatch"
	LBListenerRuleMissing  = "lb.listener-rule-missing"
)

// IDs of the load balancer's reasons for the new tasks' targets that a
// rollout's diagnosis names next to the stopped tasks (ECS stops a task
// whose target fails the target group's health checks). Like the other
// entries a stopped task points at, they take no placeholders.
const (
	LBTargetsPhantomRoute = "lb.targets-phantom-route"
	LBTargetsTimeout      = "lb.targets-timeout"
	LBTargetsServerError  = "lb.targets-5xx"
	LBTargetsUnhealthy    = "lb.targets-unhealthy"
)

var lbEntries = []Entry{
	{
		ID:        LBTargetGroupMissing,
		Title:     "A target group of the service is missing or receives no traffic",
		Symptom:   "The service's load balancer configuration names a target group that does not exist, is attached to no load balancer, or that no listener or rule forwards to; new tasks would register but never get traffic.",
		Diagnosis: "The target group was deleted or recreated (a new ARN) by infrastructure code while the ECS service kept the old ARN, or the listener rule that forwarded to it was changed.",
		Fix:       "Look at it: `aws elbv2 describe-target-groups --region {region} --target-group-arns {target_group}`, and at the listeners of its load balancer: `aws elbv2 describe-listeners --region {region} --load-balancer-arn LB_ARN`. Recreate the listener rule that forwards to it, or update the service {service} in cluster {cluster} to the target group that does receive traffic.",
	},
	{
		ID:        LBTargetTypeMismatch,
		Title:     "The target group's target type does not fit the task's network mode",
		Symptom:   "The target group is of type `instance` for an awsvpc task (or `ip` for a bridge or host task); ECS cannot register the new tasks and the deployment never becomes healthy.",
		Diagnosis: "awsvpc tasks have their own network interface and register by IP, so they need target type `ip`; bridge and host tasks register the container instance and need `instance`. The target group was created for the other network mode.",
		Fix:       "A target group's type cannot be changed: create a target group of type {want} (same port, protocol and health check), forward the listener to it, and point the service {service} at it; or change the task definition's network mode to one that fits {have}.",
	},
	{
		ID:        LBContainerPortMissing,
		Title:     "The container or port the load balancer sends traffic to is not in the new revision",
		Symptom:   "The service's load balancer configuration names a container and port that the task definition does not have (no such container, or no portMappings entry with that containerPort); UpdateService fails or the tasks never register.",
		Diagnosis: "The container was renamed or its port changed in the task definition while the service's load balancer configuration kept the old values.",
		Fix:       "Make them agree: add a portMappings entry with containerPort {port} to container {container} of the task definition, or update the service's load balancer configuration (`aws ecs update-service --cluster {cluster} --service {service} --load-balancers ...`) to the container and port the revision has.",
	},
	{
		ID:        LBHealthPathMismatch,
		Title:     "The load balancer checks a health path omdeploy does not verify",
		Symptom:   "The target group's health check path is not one of the service's declared health endpoints, so the load balancer can find tasks unhealthy that omdeploy called healthy, or the other way round.",
		Diagnosis: "The health endpoints in the config and the target group's health check were set up separately and drifted apart (a renamed route, a prefix).",
		Fix:       "Make them the same route: declare {path} under `health.endpoints` of {service}, or set the target group's health check to one of the declared paths: `aws elbv2 modify-target-group --region {region} --target-group-arn {target_group} --health-check-path PATH`.",
	},
	{
		ID:        LBMatcherMismatch,
		Title:     "The load balancer and omdeploy accept different health status codes",
		Symptom:   "The target group's success codes (matcher) accept a status the endpoint's expect_status rejects, or the two share no code; one of them calls a task healthy that the other does not.",
		Diagnosis: "The matcher was widened (e.g. 200-399 so redirects pass) or expect_status was set, and the other side was not changed with it.",
		Fix:       "Make them agree: set `expect_status` of {path} to the codes the load balancer accepts ({matcher}), or narrow the matcher: `aws elbv2 modify-target-group --region {region} --target-group-arn {target_group} --matcher HttpCode=CODES`.",
	},
	{
		ID:        LBListenerRuleMissing,
		Title:     "A blue/green listener rule of the service does not exist",
		Symptom:   "The service's blue/green load balancer configuration (advancedConfiguration) names a production or test listener rule that ELBv2 does not know; ECS cannot shift traffic, and the service deployment fails.",
		Diagnosis: "The listener rule was deleted or recreated (a new ARN) by infrastructure code while the ECS service kept the old ARN.",
		Fix:       "Look at the listener's rules: `aws elbv2 describe-rules --region {region} --listener-arn LISTENER_ARN`, then point the service {service} in cluster {cluster} at the rules that exist (`aws ecs update-service --load-balancers ...advancedConfiguration=...`) or recreate them.",
	},
	{
		ID:    LBTargetsPhantomRoute,
		Title: "The load balancer's health check path is not served (404): a phantom route",
		Symptom: "The new tasks' targets are unhealthy with Target.ResponseCodeMismatch \"Health checks failed with these codes: [404]\"; " +
			"ECS stops them (\"Task failed ELB health checks\") and starts more until the circuit breaker or the timeout ends the rollout.",
		Diagnosis: "The target group's health check asks for a path the new revision does not serve: a route renamed or moved under a prefix, " +
			"or a health check path set for another service. The application answers, so port and network are fine; the route is not there.",
		Fix: "1. Compare the target group's health check path (`aws elbv2 describe-target-groups --target-group-arns <arn>`) with the routes the new revision serves.\n" +
			"2. Fix the path (`aws elbv2 modify-target-group --target-group-arn <arn> --health-check-path /PATH`) or add the route to the application.\n" +
			"3. Declare the same path under `health.endpoints`, so preflight's lb.target-groups catches the drift before the next deploy.",
	},
	{
		ID:      LBTargetsTimeout,
		Title:   "The load balancer's health checks of the new tasks time out",
		Symptom: "The new tasks' targets are unhealthy with Target.Timeout (\"Request timed out\"); ECS stops them as failing ELB health checks.",
		Diagnosis: "The load balancer cannot reach the container's port: the security group of the tasks does not allow the load balancer's security group " +
			"on the container port, the application listens on another port or on 127.0.0.1 only, or it is too slow to answer within the health check timeout.",
		Fix: "1. Check the tasks' security group allows inbound traffic on the container port from the load balancer's security group.\n" +
			"2. Check the application listens on 0.0.0.0 and on the port the service's load balancer configuration names.\n" +
			"3. If the health endpoint is slow, make it cheap, or raise the target group's health check timeout.",
	},
	{
		ID:    LBTargetsServerError,
		Title: "The new tasks answer the load balancer's health check with a server error (5xx)",
		Symptom: "The new tasks' targets are unhealthy with Target.ResponseCodeMismatch and a 5xx code (\"Health checks failed with these codes: [500]\"); " +
			"ECS stops them as failing ELB health checks.",
		Diagnosis: "The route exists and the port is reachable, but the application fails its own health check: a dependency it checks " +
			"(database, cache, another service) is down or misconfigured for the new revision, or the health handler itself fails.",
		Fix: "1. Read the application's own logs of the stopped tasks (the diagnosis prints their last lines) for the error behind the 5xx.\n" +
			"2. Check the configuration and secrets the new revision reads for the dependencies its health check tests.\n" +
			"3. Fix the cause and deploy again; the service is back on the previous revision once the rollback completes.",
	},
	{
		ID:    LBTargetsUnhealthy,
		Title: "The new tasks fail the load balancer's health checks",
		Symptom: "The new tasks' targets are unhealthy (Target.FailedHealthChecks, or codes the matcher does not accept); " +
			"ECS stops them as failing ELB health checks.",
		Diagnosis: "The load balancer's health check and the new revision disagree: the path, the port, the expected codes (matcher), " +
			"or the application is not ready within the health check's grace period.",
		Fix: "1. Read the reason and codes next to each stopped task, and the target group's health check: `aws elbv2 describe-target-groups --target-group-arns <arn>`.\n" +
			"2. Make the health check path, port and matcher agree with what the new revision serves; raise the service's health check grace period if it starts slowly.\n" +
			"3. Deploy again.",
	},
}
