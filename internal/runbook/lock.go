package runbook

// IDs of the deploy lock's failures (config `lock:`).
const (
	LockHeld = "lock.held"
)

var lockEntries = []Entry{
	{
		ID:        LockHeld,
		Title:     "Another deploy holds the service's deploy lock",
		Symptom:   "omdeploy exits 3 after preflight, before registering anything, naming who holds the lock (a CI actor and run, or USER@host) and since when.",
		Diagnosis: "The service has `lock:` in the config and another deploy of it is running: a second CI run, a re-run, or a person deploying by hand. A runner that was killed (not interrupted) leaves its lease until the TTL passes; an expired lease is taken over with a warning.",
		Fix:       "Wait for {holder} to finish, then deploy again (in CI, a `concurrency:` group queues runs instead). If that run is gone (the runner was killed, the job cancelled hard), remove its lease: `omdeploy unlock --service {service}` (parameter {parameter}).",
	},
}
