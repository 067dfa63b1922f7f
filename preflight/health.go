package preflight

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/healthcheck"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// baselineTimeout bounds each baseline GET: a baseline is a glance, the
// retrying verification happens after the rollout.
const baselineTimeout = 2 * time.Second

// checkHealth is the runbook's "start with health checks": the endpoints
// are declared and well-formed, and each answers one GET before the deploy,
// so a later health failure is known to be the deploy's. The GET is
// healthcheck's one-shot probe, so an answer means here what it will mean
// after the rollout.
func (r *runner) checkHealth(ctx context.Context, svc config.Service) Check {
	h := svc.Health
	if h == nil || len(h.Endpoints) == 0 {
		return warn(runbook.HealthUndeclared, map[string]string{"service": svc.Name},
			"no health endpoints declared: after the rollout only ECS's own view can be checked")
	}
	base, err := url.Parse(h.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return warn(runbook.HealthUndeclared, map[string]string{"service": svc.Name},
			"health base_url %q is not an absolute http(s) URL", h.BaseURL)
	}
	for _, e := range h.Endpoints {
		if !strings.HasPrefix(e.Path, "/") {
			return warn(runbook.HealthUndeclared, map[string]string{"service": svc.Name},
				"health endpoint %q does not start with /", e.Path)
		}
	}

	results := make([]healthcheck.ProbeResult, len(h.Endpoints))
	var wg sync.WaitGroup
	for i, e := range h.Endpoints {
		e.FollowRedirects = h.Redirects(e) // as the verification after the rollout will
		wg.Go(func() { results[i] = r.health.Probe(ctx, h.BaseURL, e) })
	}
	wg.Wait()

	// Every answer short of a pass only warns: the running version's health
	// is not this deploy's to block on, and a deploy is often its fix (a
	// 503, a phantom route, a bad certificate on the old tasks).
	lines := make([]string, len(results))
	firstBad := ""
	for i, p := range results {
		lines[i] = baselineLine(p)
		if !p.OK() && firstBad == "" {
			firstBad = p.URL
		}
	}
	if firstBad != "" {
		return warn(runbook.HealthBaseline, map[string]string{"url": firstBad, "service": svc.Name},
			"baseline GET before the deploy: %s", strings.Join(lines, "; "))
	}
	return pass("baseline GET before the deploy: %s", strings.Join(lines, "; "))
}

// baselineLine is one endpoint's part of the message: how fast it passed,
// or what it saw in healthcheck's own words, so the baseline and the
// verification after the rollout describe an answer the same way.
func baselineLine(p healthcheck.ProbeResult) string {
	if p.OK() {
		return fmt.Sprintf("%s %d in %s", p.URL, p.StatusCode, p.Elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: %s", p.URL, p.Detail)
}
