package bench

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Proxy is a reverse proxy on 127.0.0.1 that counts the AWS API calls
// passing through it by service and action ("ecs:DescribeServices"), so
// that the real SDK clients can be counted against moto.
type Proxy struct {
	URL string

	srv *http.Server
	mu  sync.Mutex
	n   map[string]int
}

// StartProxy starts a counting proxy in front of target.
func StartProxy(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("proxy target %q is not a URL", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), n: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

// Counts returns the calls counted since the last Reset.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.n)
}

// Reset forgets the calls counted so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = map[string]int{}
}

func (p *Proxy) count(r *http.Request) {
	key := callName(r)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n[key]++
}

// callName names a request's service, from its SigV4 credential scope, and
// action: X-Amz-Target for the JSON protocols (ECS, SSM, Logs), the Action
// form field for the query protocols (STS, IAM). It leaves the body as it
// found it.
func callName(r *http.Request) string {
	service := "unknown"
	if _, scope, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		// Credential=AKID/DATE/REGION/SERVICE/aws4_request
		if parts := strings.Split(strings.SplitN(scope, ",", 2)[0], "/"); len(parts) >= 5 {
			service = parts[3]
		}
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, action, _ := strings.Cut(t, ".")
		return service + ":" + action
	}
	if r.Body == nil {
		return service + ":" + r.Method + " " + r.URL.Path
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err == nil {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			return service + ":" + form.Get("Action")
		}
	}
	return service + ":" + r.Method + " " + r.URL.Path
}
