// Package faultproxy is an HTTP proxy for tests that stands between the
// real AWS SDK clients and an emulator (moto, or an httptest server that
// speaks the AWS JSON 1.1 wire format) and makes chosen operations fail the
// way a network or AWS does: a call that never answers, a connection
// dropped after the request was forwarded (so the emulator applied it),
// throttling, an expired session token. It listens on 127.0.0.1 only and
// does not import package testing, so that tools can use it too.
//
// Operations are named as the SDK names them ("DescribeServices"), read
// from the X-Amz-Target header of JSON-protocol services (ECS, Logs, SSM)
// or the Action field of query-protocol ones (STS, IAM). Error answers are
// written in the JSON 1.1 format, so Throttle and ExpireToken are for
// JSON-protocol operations.
package faultproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is what the proxy does to a matching call.
type Fault int

// Faults.
const (
	// Hang never answers and never forwards: the call waits until the
	// client gives up (its deadline) or the rule is cleared or the proxy
	// closes; then the connection is dropped. With Rule.Forward the
	// request reaches the emulator first, which applies it.
	Hang Fault = iota + 1
	// Drop forwards the request, lets the emulator answer, and closes the
	// client's connection without a response: a write that was applied
	// but whose answer was lost.
	Drop
	// Throttle answers 400 ThrottlingException without forwarding.
	Throttle
	// ExpireToken answers 400 ExpiredTokenException without forwarding.
	ExpireToken
)

// String names the fault in logs.
func (f Fault) String() string {
	switch f {
	case Hang:
		return "hang"
	case Drop:
		return "drop"
	case Throttle:
		return "throttle"
	case ExpireToken:
		return "expire-token"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Rule says when a fault applies to an operation's calls.
type Rule struct {
	Fault   Fault
	Skip    int           // let this many calls through untouched first
	Times   int           // fault this many calls, then let the rest through; 0: no limit
	For     time.Duration // fault calls for this long from the first faulted one; 0: no limit
	Forward bool          // Hang only: forward the request before hanging
}

type rule struct {
	Rule
	seen, faulted int
	first         time.Time
}

// Proxy forwards every call to its target, except those a rule faults.
type Proxy struct {
	target *url.URL
	srv    *http.Server
	ln     net.Listener
	client *http.Client
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	rules   map[string]*rule
	calls   map[string]int
	faulted map[string]int
	arrived map[string]chan struct{}
	cleared chan struct{} // closed and replaced by Clear, to release hung calls
}

// New starts a proxy in front of target (an http://127.0.0.1:PORT or
// http://localhost:PORT URL) on a free port of 127.0.0.1.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("faultproxy: target %q is not on loopback", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{
		target: u, ln: ln,
		// The proxy never times out on its own: the client's deadlines are
		// under test.
		client:  &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}},
		closed:  make(chan struct{}),
		rules:   map[string]*rule{},
		calls:   map[string]int{},
		faulted: map[string]int{},
		arrived: map[string]chan struct{}{},
		cleared: make(chan struct{}),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the endpoint to give the SDK clients.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy and releases hung calls.
func (p *Proxy) Close() error {
	p.once.Do(func() { close(p.closed) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		return p.srv.Close()
	}
	return nil
}

// Set makes r apply to operation's calls from now on, replacing any rule
// it had.
func (p *Proxy) Set(operation string, r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules[operation] = &rule{Rule: r}
}

// Clear removes every rule and releases the calls that hang.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = map[string]*rule{}
	close(p.cleared)
	p.cleared = make(chan struct{})
}

// Calls is how many calls of operation reached the proxy.
func (p *Proxy) Calls(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[operation]
}

// Faulted is how many calls of operation a rule faulted.
func (p *Proxy) Faulted(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faulted[operation]
}

// Arrived is closed when the first call of operation that a rule faults
// reaches the proxy (after forwarding, for Drop and a forwarded Hang), so
// a test can act while the call is in flight.
func (p *Proxy) Arrived(operation string) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.arrivedLocked(operation)
}

func (p *Proxy) arrivedLocked(operation string) chan struct{} {
	ch, ok := p.arrived[operation]
	if !ok {
		ch = make(chan struct{})
		p.arrived[operation] = ch
	}
	return ch
}

// decide counts the call and returns the fault to apply, or 0.
func (p *Proxy) decide(op string, now time.Time) (Rule, chan struct{}, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	r, ok := p.rules[op]
	if !ok {
		return Rule{}, nil, nil
	}
	r.seen++
	if r.seen <= r.Skip || (r.Times > 0 && r.faulted >= r.Times) || (r.For > 0 && !r.first.IsZero() && now.Sub(r.first) >= r.For) {
		return Rule{}, nil, nil
	}
	if r.first.IsZero() {
		r.first = now
	}
	r.faulted++
	p.faulted[op]++
	return r.Rule, p.arrivedLocked(op), p.cleared
}

// ServeHTTP forwards the call or applies its fault.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "faultproxy: read request: "+err.Error(), http.StatusBadGateway)
		return
	}
	op := operation(req, body)
	r, arrived, cleared := p.decide(op, time.Now())
	signal := func() {
		select {
		case <-arrived:
		default:
			close(arrived)
		}
	}
	switch r.Fault {
	case 0:
		p.forward(w, req, body)
	case Hang:
		if r.Forward {
			if resp, err := p.roundTrip(req, body); err == nil {
				_ = resp.Body.Close()
			}
		}
		p.mu.Lock()
		signal()
		p.mu.Unlock()
		select {
		case <-req.Context().Done():
		case <-cleared:
		case <-p.closed:
		}
		panic(http.ErrAbortHandler) // close the connection without an answer
	case Drop:
		if resp, err := p.roundTrip(req, body); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		p.mu.Lock()
		signal()
		p.mu.Unlock()
		panic(http.ErrAbortHandler)
	case Throttle:
		p.mu.Lock()
		signal()
		p.mu.Unlock()
		awsError(w, "ThrottlingException", "Rate exceeded")
	case ExpireToken:
		p.mu.Lock()
		signal()
		p.mu.Unlock()
		awsError(w, "ExpiredTokenException", "The security token included in the request is expired")
	}
}

// forward sends the call to the target and copies the answer back.
func (p *Proxy) forward(w http.ResponseWriter, req *http.Request, body []byte) {
	resp, err := p.roundTrip(req, body)
	if err != nil {
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func (p *Proxy) roundTrip(req *http.Request, body []byte) (*http.Response, error) {
	u := *p.target
	u.Path, u.RawQuery = req.URL.Path, req.URL.RawQuery
	// Not the client's context: a forwarded write completes at the
	// emulator even when the client has given up, as it would at AWS.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	out, err := http.NewRequestWithContext(ctx, req.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	out.Header = req.Header.Clone()
	out.Host = req.Host
	resp, err := p.client.Do(out)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// awsError answers in the AWS JSON 1.1 error format.
func awsError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("X-Amzn-RequestId", "faultproxy-"+strings.ToLower(code))
	w.WriteHeader(http.StatusBadRequest)
	_, _ = fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, message)
}

// operation names the SDK operation of a call: "Service.Operation" in
// X-Amz-Target, or Action in a query-protocol form body.
func operation(req *http.Request, body []byte) string {
	if t := req.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
		return v.Get("Action")
	}
	return ""
}
