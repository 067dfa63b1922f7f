package healthcheck

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
)

// RequestIDHeader carries a new ID on every attempt, so that a failing
// attempt can be found in the service's own logs.
const RequestIDHeader = "X-Request-Id"

// Log keys.
const (
	keyService   = "service"
	keyURL       = "url"
	keyAttempt   = "attempt"
	keyRequestID = "request_id"
	keyStatus    = "status"
	keyDuration  = "duration"
	keyOutcome   = "outcome"
)

type probeKey struct{}

// probe is one endpoint's state across its attempts. The client is shared,
// so the state rides in the request context; only the goroutine running Do
// touches it (the hook and CheckRetry run there in turn).
type probe struct {
	service  string
	url      string // redacted
	ep       config.Endpoint
	red      redactor
	began    time.Time
	attempts int

	requestID string    // of the current attempt
	start     time.Time // of the current attempt

	status    int    // of the last attempt that got a response
	finalURL  string // redacted; set when redirected
	last      string // what the last finished attempt saw
	notFound  int    // 404/405 answers so far
	dnsMisses int
	done      *outcome // the attempt that ended the check: pass or fail fast
}

func probeFrom(ctx context.Context) *probe {
	p, _ := ctx.Value(probeKey{}).(*probe)
	return p
}

// attemptHook runs before every attempt: it stamps a new request ID. The
// header map is cloned because the previous attempt's request shares it.
func (c *Checker) attemptHook(_ retryablehttp.Logger, req *http.Request, _ int) {
	p := probeFrom(req.Context())
	if p == nil {
		return
	}
	p.attempts++
	p.requestID = newRequestID()
	p.start = time.Now()
	req.Header = req.Header.Clone()
	req.Header.Set(RequestIDHeader, p.requestID)
}

// checkRetry is the retry policy: it classifies the attempt, reports it, and
// says whether to try again. The context comes first: once the run is
// interrupted or the budget is spent, nothing is retried.
func (c *Checker) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	p := probeFrom(ctx)
	if p == nil {
		return false, errors.New("healthcheck: request without a probe")
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		c.record(ctx, p, resp, outcome{kind: kindInterrupted, desc: ctxErr.Error()})
		return false, ctxErr
	}
	o := c.classify(p, resp, err)
	c.record(ctx, p, resp, o)
	switch o.kind {
	case kindTransient:
		return true, nil
	case kindNotFound:
		p.notFound++
		if c.opts.NotFoundRetries > 0 && p.notFound <= c.opts.NotFoundRetries {
			return true, nil
		}
		o.kind = kindPhantom
	case kindDNS:
		p.dnsMisses++
		if c.opts.DNSRetries > 0 && p.dnsMisses <= c.opts.DNSRetries {
			return true, nil
		}
	}
	p.done = &o
	if o.kind == kindPass {
		return false, nil
	}
	return false, fmt.Errorf("GET %s: %s", p.url, o.desc)
}

// record reports one finished attempt and logs it at debug level with its
// request ID.
func (c *Checker) record(ctx context.Context, p *probe, resp *http.Response, o outcome) {
	d := time.Since(p.start)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		p.status = status
		p.finalURL = ""
		if resp.Request != nil {
			if final := redactURL(resp.Request.URL); final != p.url {
				p.finalURL = final
			}
		}
	}
	if o.kind != kindInterrupted {
		p.last = o.desc
	}
	ev := event.HealthAttempt{
		Service: p.service, URL: p.url, Attempt: p.attempts,
		StatusCode: status, RequestID: p.requestID, Duration: d,
	}
	if o.kind != kindPass {
		ev.Err = o.desc
	}
	c.rep.Report(ev)
	c.log.DebugContext(ctx, "health attempt",
		keyService, p.service, keyURL, p.url, keyAttempt, p.attempts, keyRequestID, p.requestID,
		keyStatus, status, keyDuration, d, keyOutcome, o.desc)
}

// backoff is exponential from MinBackoff, capped at MaxBackoff, with equal
// jitter (half fixed, half random) so that many services checked at once do
// not retry in step. A Retry-After on 429/503 is honoured, between
// MinBackoff and MaxRetryAfter.
func (c *Checker) backoff(minWait, maxWait time.Duration, retry int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			// "Retry-After: 0" must not turn into a busy loop.
			return max(minWait, min(d, c.opts.MaxRetryAfter))
		}
	}
	return jittered(minWait, maxWait, retry)
}

func jittered(minWait, maxWait time.Duration, retry int) time.Duration {
	d := maxWait
	if retry < 32 {
		if e := minWait << retry; e > 0 && e < maxWait {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// newRequestID returns a random UUID (version 4), the form most services'
// request-ID middleware accepts and logs as is.
func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
