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
}
