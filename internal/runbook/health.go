package runbook

// Health verification failure classes. Fixes may use {url}, {host} and
// {expected}; healthcheck fills them in.
const (
	HealthPhantomRoute = "health.phantom-route"
	HealthEndpointList = "health.endpoint-list"
	HealthUnavailable  = "health.unavailable"
	HealthAuth         = "health.auth"
	HealthTLS          = "health.tls-certificate"
	HealthBodyMismatch = "health.body-mismatch"
	HealthDNS          = "health.dns-not-found"
	HealthStatus       = "health.unexpected-status"
	HealthRedirects    = "health.redirect-loop"
	// HealthCrossHostRedirect: a redirect off the endpoint's host.
	HealthCrossHostRedirect = "health.cross-host-redirect"
	// HealthFlapping: passes that never came healthy_after times in a row.
	HealthFlapping = "health.flapping"
	// HealthTestTraffic: gated blue/green, the new revision failed through
	// the test listener and omdeploy sent ROLLBACK at the PAUSE hook.
	HealthTestTraffic = "health.test-traffic"
)

var healthEntries = []Entry{
	{
		ID:    HealthTestTraffic,
		Title: "The new revision failed its health check through the test listener (gated blue/green)",
		Symptom: "A blue/green deployment of {service} paused at its POST_TEST_TRAFFIC_SHIFT hook; the health endpoints under " +
			"health.test_base_url failed, omdeploy released the hook with ROLLBACK, and the run exits 5 once ECS rolled back.",
		Diagnosis: "The green revision {taskdef} answered test traffic wrongly (the failing endpoint and what it returned are listed), " +
			"while production traffic still went to {previous}: no user was served by it. Or test_base_url does not reach the " +
			"test listener (wrong port, a security group closed to where omdeploy runs).",
		Fix: "1. Read the failing endpoint's result above: its URL on the test listener, the status or error seen.\n" +
			"2. Check that test_base_url reaches the test listener: `curl -si <test_base_url>/<endpoint>` during the next test shift.\n" +
			"3. Fix the revision and deploy again; the service stays on {previous} " +
			"(`aws ecs list-service-deployments --cluster {cluster} --service {service}`).",
	},
	{
		ID:      HealthPhantomRoute,
		Title:   "Health endpoint route does not exist on the service",
		Symptom: "The health check gets 404 Not Found or 405 Method Not Allowed on every attempt, while the service itself is up and other routes answer.",
		Diagnosis: "The path in the config is not a route of the service: it was renamed or removed, never existed, or needs a prefix " +
			"the base URL lacks. omdeploy retried a few times in case old tasks were still answering, then gave up: a route that is " +
			"missing does not appear by waiting.",
		Fix: "1. Request it yourself and compare with the service's router: `curl -si {url}`.\n" +
			"2. If the service really exposes a different path, correct the endpoint under `health.endpoints` in the config; " +
			"if the route should exist, the image deployed may not be the one you expect — check the task definition's image tag.\n" +
			"3. If a load balancer rule or path prefix is involved, check that the base URL includes it (e.g. https://host/api).",
	},
	{
		ID:    HealthEndpointList,
		Title: "Health endpoint list in the config disagrees with the service",
		Symptom: "Some of a service's health endpoints pass and others fail with 404 — e.g. /healthz and /api/tech/health answer, " +
			"/api/health does not — or a service has no health endpoints declared at all.",
		Diagnosis: "The list of endpoints checked is not the service's canonical list. The old runbook checked three endpoints on a " +
			"service that exposes two, and every deploy 'failed' on the phantom one.",
		Fix: "1. Declare exactly the endpoints the service exposes, in the config, next to the service:\n" +
			"   health: {base_url: https://..., endpoints: [/healthz, /api/tech/health]}\n" +
			"2. Remove endpoints that fail with 404 unless the service is supposed to serve them (then fix the service).\n" +
			"3. Keep the config as the single list: scripts, dashboards and docs should read it rather than keep their own.",
	},
	{
		ID:    HealthUnavailable,
		Title: "Service still unavailable when the health budget ran out",
		Symptom: "Health attempts kept getting 502/503/504, timeouts or refused connections until `health.timeout` expired " +
			"(\"still failing ... after N attempt(s); last: 503 Service Unavailable\").",
		Diagnosis: "Traffic never reached a healthy new task: the load balancer had no healthy targets, or the new tasks are " +
			"running but failing their own checks or crashing on requests. Right after a rollout a few 503s are normal while " +
			"ECS shifts traffic; a whole budget of them is not.",
		Fix: "1. Confirm the rollout really finished: `aws ecs describe-services --cluster <cluster> --services <service>` " +
			"shows one deployment, rolloutState COMPLETED, running = desired.\n" +
			"2. Check target group health: `aws elbv2 describe-target-health --target-group-arn <arn>`; unhealthy targets " +
			"give the reason (health check path, port, security group).\n" +
			"3. Read the new tasks' logs in CloudWatch: `aws logs tail <log-group> --since 15m`, searching for the X-Request-Id " +
			"omdeploy sent with each attempt (logged at debug level).\n" +
			"4. If the service is just slow to warm up, raise `health.timeout` for it in the config.",
	},
	{
		ID:      HealthAuth,
		Title:   "Health endpoint requires authentication",
		Symptom: "The health check gets 401 Unauthorized or 403 Forbidden and fails at once.",
		Diagnosis: "The endpoint sits behind authentication (the service's middleware, an ALB listener rule, a WAF or an IP " +
			"allow-list), so an anonymous check can never pass. Retrying would not change that.",
		Fix: "1. `curl -si {url}` from the machine running omdeploy to see who answers (the service, the ALB, the WAF).\n" +
			"2. Exempt the health route from authentication in the service, or allow the deploy runner's address.\n" +
			"3. Otherwise point the config at an endpoint that is meant to be public, such as /healthz.",
	},
	{
		ID:      HealthTLS,
		Title:   "TLS certificate of the health endpoint is not trusted",
		Symptom: "The health check fails at once with a certificate error: unknown authority, expired, or valid for another name.",
		Diagnosis: "The certificate the endpoint presents cannot be verified for the host: it is self-signed or from a private CA, " +
			"expired, or issued for a different host name (e.g. the ALB's default certificate instead of the service's). " +
			"A certificate problem does not heal by retrying, and omdeploy never skips verification.",
		Fix: "1. Inspect it: `openssl s_client -connect {host}:443 -servername {host} </dev/null | openssl x509 -noout -subject -issuer -dates`.\n" +
			"2. Attach a valid certificate for {host} to the listener (ACM), or renew the expired one.\n" +
			"3. For a private CA, add it to the trust store of the machine running omdeploy.\n" +
			"4. If base_url uses https against a plain-HTTP port, fix the scheme or port in the config.",
	},
	{
		ID:      HealthBodyMismatch,
		Title:   "Health endpoint answered but not with the expected body",
		Symptom: "The status was right but the body did not contain the text the config expects (expect_body).",
		Diagnosis: "The endpoint reports itself as not fully healthy (e.g. a dependency down), returns a different format " +
			"than the config assumes, or another service answers on that URL.",
		Fix: "1. `curl -s {url}` and compare with the expected text {expected}.\n" +
			"2. If the body reports a failing dependency, fix that dependency (database, cache, downstream API) first.\n" +
			"3. If the format changed on purpose, update `expect_body` in the config; a JSON object such as " +
			"'{\"status\":\"ok\"}' matches fields regardless of order and spacing.",
	},
	{
		ID:      HealthDNS,
		Title:   "Health endpoint host not found in DNS",
		Symptom: "The health check fails with \"host ... not found in DNS\" after a few attempts.",
		Diagnosis: "The host name does not resolve: a typo in base_url, a record not created yet (new service or preview), a " +
			"private hosted zone not visible from where omdeploy runs, or an unset ${VAR} in the base URL.",
		Fix: "1. `dig +short {host}` (or `nslookup {host}`) from the machine running omdeploy.\n" +
			"2. Correct base_url in the config, or pass --base-url for previews and staging.\n" +
			"3. If the record is new, create it (Route 53 alias to the load balancer) and allow for propagation.",
	},
	{
		ID:    HealthStatus,
		Title: "Health endpoint returned an unexpected status",
		Symptom: "The health check got a status that is neither expected nor transient (e.g. 400, 410, 418, or 200 where " +
			"expect_status asks for 204) and failed at once.",
		Diagnosis: "The endpoint exists but answers differently than the config expects: a changed contract, a required " +
			"header or query parameter, or expect_status out of date.",
		Fix: "1. `curl -si {url}` and read the status and body.\n" +
			"2. If the new status is correct, update `expect_status` for the endpoint in the config; otherwise fix the service.",
	},
	{
		ID:        HealthRedirects,
		Title:     "Health endpoint redirects too many times",
		Symptom:   "The health check stopped after 5 redirects.",
		Diagnosis: "A redirect loop (http to https and back, a trailing-slash rule, a login redirect) or a base URL that points at the wrong listener.",
		Fix: "1. `curl -sIL --max-redirs 10 {url}` to see the chain.\n" +
			"2. Put the final URL of the chain in base_url, or fix the listener rules that loop.",
	},
	{
		ID:    HealthCrossHostRedirect,
		Title: "Health endpoint redirects to another host",
		Symptom: "The health check fails at once with \"redirected to another host\": the endpoint answered with a redirect " +
			"(301, 302, 307, 308) whose Location is another host, port or scheme than the endpoint's.",
		Diagnosis: "The answer is not the service's: the load balancer or the service sends unauthenticated requests to a " +
			"login page (an SSO or OIDC listener rule), a catch-all rule redirects to the main site, or base_url points at " +
			"another environment's host that forwards elsewhere. That other host's 200 would say nothing about this " +
			"service, so omdeploy does not follow it. Redirects on the same host, and http to https on it, are followed.",
		Fix: "1. See where it goes: `curl -sI {url}` and read the Location header.\n" +
			"2. If it is a login page, exempt the health path from authentication on the listener or in the service, " +
			"or point the endpoint at a public route such as /healthz.\n" +
			"3. If base_url is the wrong host or environment, put the host that serves the service in base_url " +
			"(or pass --base-url).\n" +
			"4. Only if the other host really is this service (a canonical domain), allow it for the endpoint: " +
			"`follow_redirects: any` under health (or on the endpoint).",
	},
	{
		ID:    HealthFlapping,
		Title: "Health endpoint flaps between passing and failing",
		Symptom: "The health check saw the endpoint pass, but never `health.healthy_after` times in a row before " +
			"`health.timeout` ran out (\"passed N time(s) but at most M in a row\").",
		Diagnosis: "Some of the answers come from an unhealthy place: the load balancer spreads requests over new tasks of " +
			"which some fail (a bad task, an instance without a dependency, a crash loop that restarts), or over old and new " +
			"tasks, or a dependency the endpoint reports on is itself flapping. One passing answer would have hidden it.",
		Fix: "1. Check the targets one by one: `aws elbv2 describe-target-health --target-group-arn <arn>`; an unhealthy or " +
			"draining target explains alternating answers.\n" +
			"2. `curl -s {url}` several times, and read the failing tasks' logs for the X-Request-Id of the failed attempts " +
			"(logged at debug level).\n" +
			"3. Fix the failing tasks or dependency; if the service is only slow to settle, raise `health.timeout`. Lower " +
			"`health.healthy_after` only if occasional failures are acceptable.",
	},
}
