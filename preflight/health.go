package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// baselineTimeout bounds each baseline GET: a baseline is a glance, the
// retrying verification happens after the rollout.
const baselineTimeout = 2 * time.Second

// maxBaselineBody is how much of a body is searched for expect_body.
const maxBaselineBody = 64 << 10

// checkHealth is the runbook's "start with health checks": the endpoints
// are declared and well-formed, and each answers one GET before the deploy,
// so a later health failure is known to be the deploy's. It warns, never
// fails: the running version's health is not this deploy's to block on.
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

	results := make([]baseline, len(h.Endpoints))
	var wg sync.WaitGroup
	for i, e := range h.Endpoints {
		wg.Go(func() { results[i] = r.getBaseline(ctx, strings.TrimRight(h.BaseURL, "/")+e.Path, e) })
	}
	wg.Wait()

	lines := make([]string, len(results))
	firstBad := ""
	for i, b := range results {
		lines[i] = b.summary
		if !b.ok && firstBad == "" {
			firstBad = b.url
		}
	}
	if firstBad != "" {
		return warn(runbook.HealthBaseline, map[string]string{"url": firstBad, "service": svc.Name},
			"baseline GET before the deploy: %s", strings.Join(lines, "; "))
	}
	return pass("baseline GET before the deploy: %s", strings.Join(lines, "; "))
}

type baseline struct {
	url     string // redacted
	ok      bool
	summary string
}

func (r *runner) getBaseline(ctx context.Context, raw string, e config.Endpoint) baseline {
	shown := raw
	if u, err := url.Parse(raw); err == nil {
		shown = u.Redacted()
	}
	b := baseline{url: shown}
	ctx, cancel := context.WithTimeout(ctx, baselineTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		b.summary = fmt.Sprintf("%s: %v", shown, err)
		return b
	}
	req.Header.Set("User-Agent", "omdeploy-preflight")
	start := r.clk.Now()
	resp, err := r.http.Do(req)
	if err != nil {
		b.summary = fmt.Sprintf("%s: %v", shown, unwrapURLError(err))
		return b
	}
	defer resp.Body.Close()
	elapsed := r.clk.Now().Sub(start).Round(time.Millisecond)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBaselineBody))
	switch {
	case !statusOK(resp.StatusCode, e.ExpectStatus):
		b.summary = fmt.Sprintf("%s: %d, expected %s", shown, resp.StatusCode, expectedStatus(e.ExpectStatus))
	case e.ExpectBody != "" && !strings.Contains(string(body), e.ExpectBody):
		b.summary = fmt.Sprintf("%s: %d but the body lacks %q", shown, resp.StatusCode, e.ExpectBody)
	default:
		b.ok = true
		b.summary = fmt.Sprintf("%s %d in %s", shown, resp.StatusCode, elapsed)
	}
	return b
}

func statusOK(code int, expect []int) bool {
	if len(expect) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(expect, code)
}

func expectedStatus(expect []int) string {
	if len(expect) == 0 {
		return "2xx"
	}
	s := make([]string, len(expect))
	for i, c := range expect {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " or ")
}

// unwrapURLError drops *url.Error's "Get URL:" prefix, since the URL is
// already in the summary.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
