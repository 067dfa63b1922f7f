package healthcheck

import (
	"context"
	"time"

	"github.com/omdeploy/omdeploy/config"
)

// ProbeResult is what one GET of one endpoint saw, classified as Check
// classifies each of its attempts. URL, FinalURL and Detail are redacted.
type ProbeResult struct {
	URL        string
	FinalURL   string // set when redirects were followed
	Class      Class
	StatusCode int // 0 when no response came
	// Detail says what the attempt saw, in the words of Check's attempt
	// events and errors: "503 Service Unavailable", "connection refused",
	// "200 OK but the body does not contain …; body: …".
	Detail    string
	RequestID string // sent as RequestIDHeader; "" when no request was made
	Elapsed   time.Duration
}

// OK reports whether the endpoint answered as its config expects.
func (r ProbeResult) OK() bool { return r.Class == ClassPass }

// Probe makes one GET of baseURL+ep.Path, within ctx and the per-attempt
// timeout, and classifies the answer exactly as Check classifies each
// attempt: the same expect_status, expect_body and follow_redirects rules
// (ep.FollowRedirects "" is same-host; the caller resolves the service's
// default with config.Health.Redirects), the same redaction. It never retries, however transient the answer: a caller that
// wants a glance (preflight's baseline) must not wait out a rollout. It
// reports no events, since the verdict is the caller's to show, and logs
// the attempt at debug level like Check. It is safe for concurrent use.
func (c *Checker) Probe(ctx context.Context, baseURL string, ep config.Endpoint) ProbeResult {
	rawURL := joinURL(baseURL, ep.Path)
	p := newProbe("", rawURL, ep)
	p.once = true
	err := c.do(ctx, p, rawURL)
	o := p.latest
	if o == nil {
		// No attempt was made: the URL cannot be requested at all.
		o = &outcome{class: ClassInvalid, desc: c.describeErr(p, err)}
	}
	return ProbeResult{
		URL: p.url, FinalURL: p.finalURL, Class: o.class, StatusCode: p.status,
		Detail: o.desc, RequestID: p.requestID, Elapsed: time.Since(p.began),
	}
}
