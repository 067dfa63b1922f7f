package healthcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Sentinel errors of the failure classes; an endpoint's error wraps one.
var (
	ErrPhantomRoute = errors.New("route does not exist on the service")
	ErrUnavailable  = errors.New("service still unavailable when the health budget ran out")
	ErrAuth         = errors.New("endpoint requires authentication")
	ErrTLS          = errors.New("TLS certificate problem")
	ErrBodyMismatch = errors.New("unexpected body")
	ErrDNSNotFound  = errors.New("host not found in DNS")
	ErrStatus       = errors.New("unexpected status")
	ErrRedirects    = errors.New("too many redirects")
	// ErrCrossHostRedirect: the endpoint redirected off its host, whose
	// answer says nothing about this service.
	ErrCrossHostRedirect = errors.New("redirected to another host")
	// ErrFlapping: passes came, but not health.healthy_after in a row.
	ErrFlapping = errors.New("endpoint did not pass enough times in a row when the health budget ran out")
)

// Class is what one attempt's answer means. The retrying checker and the
// one-shot probe classify every answer the same way; only the checker
// decides, from a run of classes, whether to try again.
type Class int

// The classes of an attempt.
const (
	ClassPass        Class = iota
	ClassTransient         // retried until the budget: the service is still shifting traffic
	ClassNotFound          // 404/405, retried briefly: old tasks may still answer
	ClassDNS               // no such host, retried briefly
	ClassAuth              // 401/403
	ClassTLS               // certificate not trusted, wrong name, expired, not TLS at all
	ClassBody              // status passed, body did not
	ClassStatus            // any other status the config does not expect
	ClassRedirects         // more than MaxRedirects
	ClassInterrupted       // the context ended during the attempt
	ClassInvalid           // no request could be made of the URL (a probe's only; Check fails it without a class)
	ClassCrossHost         // a redirect to another host, which follow_redirects does not allow
	// classPhantom is the checker's verdict on a 404/405 that outlasted
	// its brief retries; no single attempt has it, so it is not exported.
	classPhantom
)

var classNames = [...]string{
	ClassPass: "pass", ClassTransient: "transient", ClassNotFound: "not_found", ClassDNS: "dns",
	ClassAuth: "auth", ClassTLS: "tls", ClassBody: "body", ClassStatus: "status",
	ClassRedirects: "redirects", ClassInterrupted: "interrupted", ClassInvalid: "invalid", ClassCrossHost: "cross_host_redirect",
	classPhantom: "phantom_route",
}

// String is the class's stable name, for logs and tests.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// outcome is what one attempt saw.
type outcome struct {
	class Class
	desc  string // for events, logs and messages; redacted
	host  string // for DNS and TLS failures
}

// matchLimit bounds the body read to look for expect_body.
const matchLimit = 64 << 10

// classify decides what one attempt means. It reads at most matchLimit
// bytes of the body, and shows at most an excerpt, redacted.
func (c *Checker) classify(p *probe, resp *http.Response, err error) outcome {
	if err != nil {
		return c.classifyErr(p, err)
	}
	desc := statusText(resp)
	if expected(p.ep, resp.StatusCode) {
		if p.ep.ExpectBody == "" {
			return outcome{class: ClassPass, desc: desc}
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, matchLimit))
		if rerr != nil {
			return outcome{class: ClassTransient, desc: desc + " but reading the body failed: " + c.describeErr(p, rerr)}
		}
		if bodyMatches(body, p.ep.ExpectBody) {
			return outcome{class: ClassPass, desc: desc}
		}
		return outcome{class: ClassBody, desc: fmt.Sprintf("%s but the body does not contain %q; body: %s", desc, p.ep.ExpectBody, p.red.excerpt(body))}
	}

	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests, code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported:
		return outcome{class: ClassTransient, desc: desc}
	case code == http.StatusNotFound, code == http.StatusMethodNotAllowed:
		return outcome{class: ClassNotFound, desc: desc}
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return outcome{class: ClassAuth, desc: desc + "; body: " + p.red.excerpt(readExcerpt(resp.Body))}
	default:
		if loc := resp.Header.Get("Location"); code >= 300 && code < 400 && loc != "" {
			desc += " to " + p.red.scrub(redactLocation(resp.Request, loc)) + ", not followed (follow_redirects: none)"
		}
		return outcome{class: ClassStatus, desc: fmt.Sprintf("%s, expected %s; body: %s", desc, expectText(p.ep), p.red.excerpt(readExcerpt(resp.Body)))}
	}
}

func (c *Checker) classifyErr(p *probe, err error) outcome {
	var limit redirectLimit
	if errors.As(err, &limit) {
		return outcome{class: ClassRedirects, desc: p.red.scrub(limit.Error())}
	}
	var cross crossHostRedirect
	if errors.As(err, &cross) {
		return outcome{class: ClassCrossHost, desc: p.red.scrub(cross.Error()), host: cross.host}
	}
	if msg, ok := tlsProblem(err); ok {
		return outcome{class: ClassTLS, desc: clip(p.red.scrub(msg))}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return outcome{class: ClassDNS, desc: fmt.Sprintf("no such host %q", p.red.scrub(dns.Name)), host: dns.Name}
	}
	return outcome{class: ClassTransient, desc: c.describeErr(p, err)}
}

// describeErr says what a transport error means without the URL, which the
// message names once, redacted.
func (c *Checker) describeErr(p *probe, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		// The budget's own deadline is handled before classification, so a
		// deadline here is the per-attempt timeout.
		return fmt.Sprintf("no answer within the %s attempt timeout", c.opts.AttemptTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a complete response"
	}
	return clip(p.red.scrub(err.Error()))
}

// tlsProblem recognises failures retrying cannot fix: an untrusted, expired
// or misnamed certificate, a TLS alert, or a plain-HTTP server on an https
// URL.
func tlsProblem(err error) (string, bool) {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		alert    tls.AlertError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &verify):
		return verify.Err.Error(), true
	case errors.As(err, &unknown):
		return unknown.Error(), true
	case errors.As(err, &hostname):
		return hostname.Error(), true
	case errors.As(err, &invalid):
		return invalid.Error(), true
	case errors.As(err, &alert):
		return "the server rejected the TLS handshake: " + alert.Error(), true
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server does not speak TLS: base_url says https but the port serves plain HTTP", true
	}
	return "", false
}

// redirectLimit is what checkRedirect returns once MaxRedirects are used.
type redirectLimit struct{ next string }

func (e redirectLimit) Error() string {
	return fmt.Sprintf("stopped after %d redirects (next: %s)", MaxRedirects, e.next)
}

// crossHostRedirect is what checkRedirect returns for a redirect off the
// endpoint's host under RedirectsSameHost. URLs are redacted.
type crossHostRedirect struct{ from, to, host string }

func (e crossHostRedirect) Error() string {
	return fmt.Sprintf("%s redirected to %s", e.from, e.to)
}

// checkRedirect applies the endpoint's follow_redirects to each redirect,
// always measured from the endpoint's own URL, so that a chain cannot
// wander off the host one allowed hop at a time.
func checkRedirect(req *http.Request, via []*http.Request) error {
	policy := config.RedirectsSameHost
	if p := probeFrom(req.Context()); p != nil {
		policy = config.Health{}.Redirects(p.ep)
	}
	switch policy {
	case config.RedirectsNone:
		// The 3xx itself is judged against expect_status.
		return http.ErrUseLastResponse
	case config.RedirectsSameHost:
		if origin := via[0].URL; !sameHost(origin, req.URL) {
			return crossHostRedirect{from: redactURL(origin), to: redactURL(req.URL), host: req.URL.Hostname()}
		}
	}
	if len(via) > MaxRedirects {
		return redirectLimit{next: redactURL(req.URL)}
	}
	return nil
}

// sameHost reports whether a redirect from from to to stays on the host:
// the same scheme, host and port, or the upgrade of http to https on the
// same host (to port 443, or to the same port).
func sameHost(from, to *url.URL) bool {
	if !strings.EqualFold(from.Hostname(), to.Hostname()) {
		return false
	}
	fs, ts := strings.ToLower(from.Scheme), strings.ToLower(to.Scheme)
	fp, tp := portOf(from), portOf(to)
	switch {
	case fs == ts:
		return fp == tp
	case fs == "http" && ts == "https":
		return tp == "443" || tp == fp
	}
	return false
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// redactLocation resolves a Location header against the request it
// answered and renders it without credentials.
func redactLocation(req *http.Request, loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "an unparsable location"
	}
	if req != nil && req.URL != nil {
		u = req.URL.ResolveReference(u)
	}
	return redactURL(u)
}

// failure turns the attempt that ended the check into the endpoint's error
// and runbook entry.
func (p *probe) failure(o outcome) (string, error) {
	switch o.class {
	case classPhantom:
		return runbook.HealthPhantomRoute, fmt.Errorf("GET %s: %w: %s on %d of %d attempt(s); the endpoint list in the config and the service's routes disagree",
			p.url, ErrPhantomRoute, o.desc, p.notFound, p.attempts)
	case ClassDNS:
		return runbook.HealthDNS, fmt.Errorf("GET %s: %w: %s, after %d attempt(s)", p.url, ErrDNSNotFound, o.desc, p.attempts)
	case ClassAuth:
		return runbook.HealthAuth, fmt.Errorf("GET %s: %w: %s; a health endpoint must answer without credentials", p.url, ErrAuth, o.desc)
	case ClassTLS:
		return runbook.HealthTLS, fmt.Errorf("GET %s: %w: %s", p.url, ErrTLS, o.desc)
	case ClassBody:
		return runbook.HealthBodyMismatch, fmt.Errorf("GET %s: %w: %s", p.url, ErrBodyMismatch, o.desc)
	case ClassRedirects:
		return runbook.HealthRedirects, fmt.Errorf("GET %s: %w: %s", p.url, ErrRedirects, o.desc)
	case ClassCrossHost:
		return runbook.HealthCrossHostRedirect, fmt.Errorf("GET %s: %w: %s; that host's answer says nothing about this service, "+
			"so the redirect was not followed (follow_redirects: same-host)", p.url, ErrCrossHostRedirect, o.desc)
	default:
		return runbook.HealthStatus, fmt.Errorf("GET %s: %w: %s", p.url, ErrStatus, o.desc)
	}
}

func expected(ep config.Endpoint, code int) bool {
	if len(ep.ExpectStatus) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(ep.ExpectStatus, code)
}

func expectText(ep config.Endpoint) string {
	if len(ep.ExpectStatus) == 0 {
		return "any 2xx"
	}
	codes := make([]string, len(ep.ExpectStatus))
	for i, c := range ep.ExpectStatus {
		codes[i] = strconv.Itoa(c)
	}
	if len(codes) == 1 {
		return codes[0]
	}
	return strings.Join(codes[:len(codes)-1], ", ") + " or " + codes[len(codes)-1]
}

func statusText(resp *http.Response) string {
	if t := http.StatusText(resp.StatusCode); t != "" {
		return strconv.Itoa(resp.StatusCode) + " " + t
	}
	return strconv.Itoa(resp.StatusCode)
}

// readExcerpt reads one byte more than excerpt redacts, so a cut can be
// marked.
func readExcerpt(body io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(body, excerptWindow+1))
	return b
}
