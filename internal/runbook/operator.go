package runbook

// IDs of failures in how omdeploy itself is run.
const (
	ConfigInvalid = "config.invalid"
	CLIUsage      = "operator.usage"
	ScriptNotExec = "operator.not-executable"
	DebugLoop     = "operator.debug-loop"
	Interrupted   = "operator.interrupted"

	InterruptedHealth = "operator.interrupted-health"
)

var operatorEntries = []Entry{
	{
		ID:        ConfigInvalid,
		Title:     "The config file is invalid",
		Symptom:   "omdeploy exits 2 and names FILE:LINE:COL.",
		Diagnosis: "An unknown key (often a typo), a wrong type, a missing required field, a bad duration or URL, or an unset ${VAR}.",
		Fix:       "Edit the config at the position shown; the message says what was expected there. Export the named variable, or give it a default with ${VAR:-default}.",
	},
	{
		ID:        CLIUsage,
		Title:     "The command line is not understood",
		Symptom:   "omdeploy exits 2 with a usage line before doing anything: an unknown command or flag, or a flag value it cannot read.",
		Diagnosis: "A typo in a command or flag name, a flag given to a command that does not take it, or a flag from another version of omdeploy.",
		Fix:       "Use the suggested name if one is shown. `omdeploy --help` lists the commands; `omdeploy COMMAND --help` lists that command's flags.",
	},
	{
		ID:        ScriptNotExec,
		Title:     "Permission denied running the deploy script",
		Symptom:   "`./redeploy.sh: Permission denied` before anything is deployed.",
		Diagnosis: "A shell script lost its executable bit (a fresh clone, a zip, a Windows checkout). omdeploy is one static binary: there is no script to chmod.",
		Fix:       "Use the omdeploy binary (release archives keep its mode; `make build` produces bin/omdeploy). If a wrapper script remains, run it as `bash script.sh` or commit its mode with `git update-index --chmod=+x script.sh`.",
	},
	{
		ID:        DebugLoop,
		Title:     "Repeating the deploy without progress",
		Symptom:   "The same deploy is retried and fails the same way.",
		Diagnosis: "The failure is in a layer the retry does not change (credentials, SSM, the image, the routes), and the logs that would say so were not read.",
		Fix:       "Read the diagnosis omdeploy printed: the stopped tasks' reasons, exit codes and last log lines. Run `omdeploy preflight` to re-check the layers under the service, and `omdeploy status` to see where it stands, before changing code.",
	},
	{
		ID:        Interrupted,
		Title:     "The run was interrupted",
		Symptom:   "omdeploy exits 130 after Ctrl-C or SIGTERM.",
		Diagnosis: "omdeploy stopped waiting; ECS goes on with whatever deployment was started.",
		Fix:       "Run `omdeploy status` to see where each service stands, then `omdeploy wait` to follow the deployment to its end or `omdeploy rollback` to go back.",
	},
	{
		ID:        InterruptedHealth,
		Title:     "The run was interrupted during the health check",
		Symptom:   "omdeploy exits 130 after Ctrl-C or SIGTERM while it verified {service}'s health endpoints after the rollout.",
		Diagnosis: "The rollout had completed, so {service} runs {taskdef} now; its health was not confirmed, and omdeploy did not roll back to {previous}.",
		Fix:       "Check the health endpoints yourself, or run `omdeploy wait --service {service}` to verify the deployment and its health again. To go back to {previous}: `omdeploy rollback --service {service}`.",
	},
}
