package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

const userAgent = "omdeploy-healthcheck"

// endpoint checks one URL until it passes need attempts in a row, fails for
// good, or ctx (the service's budget) ends, then reports the verdict.
func (c *Checker) endpoint(ctx context.Context, service, rawURL string, ep config.Endpoint, need int, budget time.Duration) (Result, error) {
	p := newProbe(service, rawURL, ep)
	p.need = max(need, 1)
	doErr := c.do(ctx, p, rawURL)

	var err error
	res := Result{URL: p.url, FinalURL: p.finalURL, Attempts: p.attempts, StatusCode: p.status, Elapsed: time.Since(p.began)}
	var id string
	switch {
	case p.done != nil && p.done.class == ClassPass:
		res.OK = true
	case p.done != nil:
		id, err = p.failure(*p.done)
	case errors.Is(ctx.Err(), context.Canceled):
		err = fmt.Errorf("GET %s: interrupted after %d attempt(s): %w", p.url, p.attempts, ctx.Err())
	case ctx.Err() != nil && p.need > 1 && p.passes > 0:
		id, err = runbook.HealthFlapping, p.flapping(budget)
	case ctx.Err() != nil:
		id, err = runbook.HealthUnavailable, p.exhausted(budget)
	case doErr != nil:
		err = fmt.Errorf("GET %s: %s", p.url, c.describeErr(p, doErr))
	default:
		err = fmt.Errorf("GET %s: no verdict after %d attempt(s)", p.url, p.attempts)
	}
	if err != nil {
		res.Error, res.RunbookID = err.Error(), id
	}

	c.rep.Report(event.HealthResult{
		Service: service, URL: res.URL, OK: res.OK, Attempts: res.Attempts,
		StatusCode: res.StatusCode, Elapsed: res.Elapsed, Err: res.Error, RunbookID: id,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		vars := map[string]string{"url": p.url, "expected": strconv.Quote(ep.ExpectBody)}
		if u, perr := url.Parse(rawURL); perr == nil {
			vars["host"] = u.Hostname()
		}
		c.rep.Report(event.Failure{
			Service: service, Stage: failure.StageHealth,
			Message: res.Error, RunbookID: id, Fix: runbook.Fix(id, vars),
		})
	}
	return res, err
}

// exhausted is the error of an endpoint that was still failing, in a
// retryable way, when the budget ran out.
func (p *probe) exhausted(budget time.Duration) error {
	last := p.last
	if last == "" {
		last = "no attempt finished within the budget"
	}
	return fmt.Errorf("GET %s: %w (%s): %d attempt(s) in %s, last: %s; the service may still be shifting traffic, or its new tasks are unhealthy",
		p.url, ErrUnavailable, budget, p.attempts, time.Since(p.began).Round(time.Millisecond), last)
}

// flapping is the error of an endpoint that passed, but not need times in
// a row, before the budget ran out.
func (p *probe) flapping(budget time.Duration) error {
	return fmt.Errorf("GET %s: %w (%s): passed %d of %d attempt(s) in %s but at most %d in a row, %d needed (health.healthy_after); last: %s",
		p.url, ErrFlapping, budget, p.passes, p.attempts, time.Since(p.began).Round(time.Millisecond), p.bestRun, p.need, p.last)
}
