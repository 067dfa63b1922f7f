// Package healthcheck verifies a service's canonical health endpoints after a
// rollout, retrying what is transient (503 while traffic shifts) and failing
// fast on what is not (a 404 phantom route, a bad certificate). It knows
// nothing of AWS.
package healthcheck

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Result is the verdict for one endpoint. The JSON contract owns the type
// (it is the document's services[].health[] entry), so its fields change
// there, in internal/result, with the schema. URLs are redacted.
type Result = result.Health

// Defaults of Options.
const (
	DefaultAttemptTimeout  = 5 * time.Second
	DefaultMinBackoff      = 250 * time.Millisecond
	DefaultMaxBackoff      = 2 * time.Second // an endpoint that turns healthy is seen within about 2 s
	DefaultMaxRetryAfter   = 15 * time.Second
	DefaultNotFoundRetries = 3
	DefaultDNSRetries      = 3
	// MaxRedirects is how many redirects one attempt follows.
	MaxRedirects = 5
)

// Options tune a Checker. Zero values take the documented defaults.
type Options struct {
	AttemptTimeout time.Duration // per attempt; default 5s
	MinBackoff     time.Duration // default 250ms
	MaxBackoff     time.Duration // default 2s
	// MaxRetryAfter caps a server's Retry-After; default 15s.
	MaxRetryAfter time.Duration
	// NotFoundRetries is how often a 404/405 is retried, because old tasks
	// may still answer right after a rollout; default 3, negative: never.
	NotFoundRetries int
	// DNSRetries is how often "no such host" is retried; default 3,
	// negative: never.
	DNSRetries int
	// TLSConfig is used for https endpoints (e.g. RootCAs of a private CA);
	// nil: the system's roots. Verification is never skipped.
	TLSConfig *tls.Config
	// DialContext makes connections; nil: a net.Dialer. Tests use it to
	// inject resolver failures.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Reporter    event.Reporter
	Logger      *slog.Logger
}

// Checker verifies health endpoints. Build it once per run; it is safe for
// concurrent use.
type Checker struct {
	opts   Options
	client *retryablehttp.Client
	log    *slog.Logger
	rep    event.Reporter
}

// New builds a Checker and its HTTP client.
func New(opts Options) *Checker {
	opts = withDefaults(opts)
	c := &Checker{opts: opts, log: opts.Logger, rep: opts.Reporter}
	c.client = c.newClient()
	return c
}

func withDefaults(o Options) Options {
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.NotFoundRetries == 0 {
		o.NotFoundRetries = DefaultNotFoundRetries
	}
	if o.DNSRetries == 0 {
		o.DNSRetries = DefaultDNSRetries
	}
	if o.Reporter == nil {
		o.Reporter = event.Nop{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (c *Checker) newClient() *retryablehttp.Client {
	dial := c.opts.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: c.opts.AttemptTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dial,
		TLSClientConfig:     c.opts.TLSConfig,
		TLSHandshakeTimeout: c.opts.AttemptTimeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
	return &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     transport,
			Timeout:       c.opts.AttemptTimeout, // covers redirects and reading the body
			CheckRedirect: checkRedirect,
		},
		// Attempts are logged by attemptHook and checkRetry with the
		// request ID; the library's own lines would log errors at error
		// level for every refused connection of a normal rollout.
		Logger:       nil,
		RetryWaitMin: c.opts.MinBackoff,
		RetryWaitMax: c.opts.MaxBackoff,
		// The service's budget (a context deadline) and the classification
		// end the attempts, not a count.
		RetryMax:       math.MaxInt32,
		RequestLogHook: c.attemptHook,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   closeBody,
	}
}

// closeBody replaces the library's "giving up" error: the verdict, with the
// last status, lives in the probe, not in what Do returns.
func closeBody(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}

// Check verifies every endpoint of one service concurrently within
// h.Timeout. An endpoint passes once it has passed h.HealthyAfter attempts
// in a row, following redirects as h.FollowRedirects (or its own
// follow_redirects) allows. The error is nil when all pass, else a
// *failure.Error of StageHealth naming the failing endpoints; it wraps
// context.Canceled when the run was interrupted.
func (c *Checker) Check(ctx context.Context, service string, h config.Health) ([]Result, error) {
	c.rep.Report(event.StageStarted{Service: service, Stage: failure.StageHealth})
	budget := h.Timeout
	if budget <= 0 {
		budget = config.DefaultHealthTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	results := make([]Result, len(h.Endpoints))
	errs := make([]error, len(h.Endpoints))
	var wg sync.WaitGroup
	for i, ep := range h.Endpoints {
		ep.FollowRedirects = h.Redirects(ep)
		wg.Go(func() {
			results[i], errs[i] = c.endpoint(ctx, service, joinURL(h.BaseURL, ep.Path), ep, h.PassesNeeded(), budget)
		})
	}
	wg.Wait()

	err := errors.Join(errs...)
	if err == nil {
		return results, nil
	}
	return results, failure.New(failure.StageHealth, service, serviceRunbookID(results), err)
}

// serviceRunbookID picks the entry for the service as a whole: a phantom
// route next to endpoints that pass is the runbook's "checked three
// endpoints when the service exposes two".
func serviceRunbookID(results []Result) string {
	passed, phantom := false, false
	first := ""
	for _, r := range results {
		switch {
		case r.OK:
			passed = true
		case r.RunbookID == runbook.HealthPhantomRoute:
			phantom = true
		}
		if !r.OK && first == "" {
			first = r.RunbookID
		}
	}
	if passed && phantom {
		return runbook.HealthEndpointList
	}
	return first
}

func joinURL(base, path string) string {
	return strings.TrimRight(base, "/") + path
}
