package healthcheck

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
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
	service string
	url     string // redacted
	ep      config.Endpoint
	red     redactor
	began   time.Time
	// once stops after the first attempt whatever it saw: the one-shot
	// probe takes the same path as the checker, without the retry policy.
	once     bool
	attempts int
	// need is how many passes in a row end the check (health.healthy_after);
	// a failure in between resets run.
	need, run, bestRun, passes int

	requestID string    // of the current attempt
	start     time.Time // of the current attempt

	status    int      // of the last attempt that got a response
	finalURL  string   // redacted; set when redirected
	last      string   // what the last finished attempt saw
	latest    *outcome // the last finished attempt, interrupted or not
	notFound  int      // 404/405 answers so far
	dnsMisses int
	done      *outcome // the attempt that ended the check: pass or fail fast
}

func newProbe(service, rawURL string, ep config.Endpoint) *probe {
	p := &probe{service: service, ep: ep, red: newRedactor(rawURL), began: time.Now(), need: 1}
	if u, err := url.Parse(rawURL); err == nil {
		p.url = redactURL(u)
	} else {
		p.url = p.red.scrub(rawURL)
	}
	return p
}

func probeFrom(ctx context.Context) *probe {
	p, _ := ctx.Value(probeKey{}).(*probe)
	return p
}

// do runs p's attempts of one GET through the shared client: one when
// p.once, else until the retry policy or ctx ends them. Do's own result is
// not the verdict: when the budget ends during a backoff it returns only
// the context error, and the last status would be lost. The probe has seen
// every attempt; Do's error matters only when there was none.
func (c *Checker) do(ctx context.Context, p *probe, rawURL string) error {
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, probeKey{}, p), http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	return err
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

// checkRetry is the retry policy: it has the attempt classified and
// recorded, then says whether to try again. Once the run is interrupted or
// the budget is spent, nothing is retried.
func (c *Checker) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	p := probeFrom(ctx)
	if p == nil {
		return false, errors.New("healthcheck: request without a probe")
	}
	o := c.attempted(ctx, p, resp, err)
	if o.class == ClassInterrupted {
		return false, ctx.Err()
	}
	if !p.once && c.again(p, &o) {
		return true, nil
	}
	p.done = &o
	if o.class == ClassPass {
		return false, nil
	}
	return false, fmt.Errorf("GET %s: %s", p.url, o.desc)
}

// attempted is the verdict on one finished attempt, the single step both
// Check and Probe are made of: the context comes first, then the answer is
// classified, and the attempt is recorded.
func (c *Checker) attempted(ctx context.Context, p *probe, resp *http.Response, err error) outcome {
	var o outcome
	if ctxErr := ctx.Err(); ctxErr != nil {
		o = outcome{class: ClassInterrupted, desc: ctxErr.Error()}
	} else {
		o = c.classify(p, resp, err)
	}
	c.record(ctx, p, resp, o)
	return o
}

// again says whether a classified attempt is worth another: a pass until
// need of them came in a row, transient answers until the budget ends,
// "not found" and DNS misses only briefly. A 404/405 that outlasts its
// retries becomes a phantom route.
func (c *Checker) again(p *probe, o *outcome) bool {
	if o.class != ClassPass {
		p.run = 0
	}
	switch o.class {
	case ClassPass:
		p.passes++
		p.run++
		p.bestRun = max(p.bestRun, p.run)
		return p.run < p.need
	case ClassTransient:
		return true
	case ClassNotFound:
		p.notFound++
		if c.opts.NotFoundRetries > 0 && p.notFound <= c.opts.NotFoundRetries {
			return true
		}
		o.class = classPhantom
	case ClassDNS:
		p.dnsMisses++
		return c.opts.DNSRetries > 0 && p.dnsMisses <= c.opts.DNSRetries
	}
	return false
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
	p.latest = &o
	if o.class != ClassInterrupted {
		p.last = o.desc
	}
	ev := event.HealthAttempt{
		Service: p.service, URL: p.url, Attempt: p.attempts,
		StatusCode: status, RequestID: p.requestID, Duration: d,
	}
	if o.class != ClassPass {
		ev.Err = o.desc
	}
	// A one-shot probe's verdict belongs to its caller, who shows it in
	// its own terms (preflight: a check); the health stage's events would
	// claim a health stage that is not running.
	if !p.once {
		c.rep.Report(ev)
	}
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
