package runbook

// Release and post_deploy task failure classes: a one-off task (a
// migration, a smoke test) that a service runs before its update or after
// its health verification. The fixes may use {service}, {cluster},
// {region}, {phase} (release or post_deploy), {task} (the config's name),
// {task_id}, {taskdef}, {timeout} and {logs} (the log group and stream),
// which the release package fills in.
const (
	ReleaseExitNonZero = "release.exit-nonzero"
	ReleaseCannotStart = "release.cannot-start"
	ReleaseTimeout     = "release.timeout"
)

var releaseEntries = []Entry{
	{
		ID:    ReleaseExitNonZero,
		Title: "A release or post_deploy task exited non-zero",
		Symptom: "The {phase} task {task} of {service} stopped with an essential container's exit code other than 0. " +
			"For a release task the service was not updated (UpdateService was never called); a failed post_deploy " +
			"task is handled like a failed health check (rolled back unless --no-rollback).",
		Diagnosis: "The task ran and its command failed: a migration that errors (a lock it cannot get, a schema it does " +
			"not expect, a database it cannot reach), a missing or wrong environment variable, or too little memory " +
			"(exit code 137 means the container was killed, usually out of memory). Its last log lines usually name the error.",
		Fix: "1. Read the last log lines omdeploy printed with the diagnosis; the full log is in {logs}.\n" +
			"2. Exit code 137: raise the task's memory. Exit code 1 or 2: an application error; fix it from the log.\n" +
			"3. A migration that failed half-way may have left a partial change or a lock: check the database before retrying.\n" +
			"4. Deploy again once fixed: the release runs again on the new revision ({taskdef} was registered but not deployed).",
	},
	{
		ID:    ReleaseCannotStart,
		Title: "A release or post_deploy task could not start",
		Symptom: "RunTask refused the {phase} task {task} of {service} (a failures[] entry such as RESOURCE:MEMORY or " +
			"no capacity), or the task stopped before its containers started (CannotPullContainerError, " +
			"ResourceInitializationError). No application log exists.",
		Diagnosis: "The task could not be placed or initialised: no capacity of the launch type or capacity provider, " +
			"subnets without free IP addresses, an image that cannot be pulled, secrets the execution role cannot read, " +
			"or a network configuration the task definition does not accept (awsvpc needs subnets).",
		Fix: "1. Read the reason omdeploy printed: it is ECS's own (the RunTask failure or the task's stop reason).\n" +
			"2. Image or secrets: `omdeploy preflight` checks the image, SSM parameters and execution role of {taskdef}.\n" +
			"3. Capacity: check the cluster {cluster} has room for the task's cpu and memory, or set the task's " +
			"launch_type/capacity_provider; for Fargate check the subnets have free IP addresses.\n" +
			"4. Network: set the task's network_configuration when the service's own does not fit it.",
	},
	{
		ID:    ReleaseTimeout,
		Title: "A release or post_deploy task ran out of time",
		Symptom: "The {phase} task {task} of {service} had not stopped after {timeout}; omdeploy stopped it (StopTask) " +
			"and did not update the service.",
		Diagnosis: "The task is slow (a migration over a large table), stuck waiting for a lock or a connection, or " +
			"waiting for input it never gets. A task stopped half-way may leave a partial change.",
		Fix: "1. Read the last log lines omdeploy printed to see where it stopped; the full log is in {logs}.\n" +
			"2. Check the database for locks or a half-applied migration before running it again.\n" +
			"3. If the task is just long, raise its `timeout:` in the config (now {timeout}); better, make long " +
			"migrations run in the background and keep the release task short.",
	},
}
