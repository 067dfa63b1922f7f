// Package registry asks container registries, through the registry v2 API
// (the OCI distribution spec), whether an image exists, which digest its
// tag names and which platforms it runs on. It only ever asks anonymously,
// following the registry's Bearer token challenge without credentials:
// omdeploy holds no registry credentials, so a registry that demands them
// is reported as such (ErrAuthRequired), never guessed at.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// Defaults of Options.
const (
	DefaultAttemptTimeout = 10 * time.Second
	DefaultRetryMax       = 2
	DefaultRetryWaitMin   = 200 * time.Millisecond
	DefaultRetryWaitMax   = 2 * time.Second
)

// Bounds on what is read: manifests and configs are small JSON documents,
// and a registry that sends more is not one to trust with memory.
const (
	maxManifest = 4 << 20
	maxConfig   = 1 << 20
	maxToken    = 64 << 10
)

// dockerHubAPI is where Docker Hub serves the v2 API; image references
// name it docker.io.
const dockerHubAPI = "registry-1.docker.io"

// Errors a lookup wraps, to tell a missing image from an unanswerable
// question.
var (
	ErrNotFound     = errors.New("not found in the registry")
	ErrAuthRequired = errors.New("the registry asks for credentials")
)

// Options configure a Client. Zero values take the defaults.
type Options struct {
	AttemptTimeout time.Duration // one HTTP attempt; default DefaultAttemptTimeout
	RetryMax       int           // retries of a 429, a 5xx or a dropped connection; default DefaultRetryMax, <0 none
	RetryWaitMin   time.Duration // default DefaultRetryWaitMin
	RetryWaitMax   time.Duration // default DefaultRetryWaitMax
	Logger         *slog.Logger  // retries are logged at debug; default discards

	// PlainHTTPLoopback lets a test reach an httptest server: a registry or
	// token realm on a loopback address is spoken to over http://. Every
	// other host is always https:// whatever this says, and the CLI never
	// sets it.
	PlainHTTPLoopback bool
}

// Client asks registries about images. Build one per run; it is safe for
// concurrent use, and keeps the anonymous tokens it was given for the run.
type Client struct {
	http          *retryablehttp.Client
	plainLoopback bool

	mu     sync.Mutex
	tokens map[string]string // "host/repository" -> bearer token
}

// New builds a Client.
func New(o Options) *Client {
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	switch {
	case o.RetryMax == 0:
		o.RetryMax = DefaultRetryMax
	case o.RetryMax < 0:
		o.RetryMax = 0
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = DefaultRetryWaitMin
	}
	if o.RetryWaitMax <= 0 {
		o.RetryWaitMax = DefaultRetryWaitMax
	}
	c := &Client{plainLoopback: o.PlainHTTPLoopback, tokens: map[string]string{}}
	rc := retryablehttp.NewClient()
	rc.HTTPClient.Timeout = o.AttemptTimeout
	rc.HTTPClient.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		return c.allowed(req.URL)
	}
	rc.RetryMax, rc.RetryWaitMin, rc.RetryWaitMax = o.RetryMax, o.RetryWaitMin, o.RetryWaitMax
	// retryablehttp logs to stderr by default; nil is silence.
	rc.Logger = nil
	if o.Logger != nil {
		rc.Logger = o.Logger
	}
	c.http = rc
	return c
}

// Resolve fetches the manifest (or index) ref names, and its digest.
func (c *Client) Resolve(ctx context.Context, ref imageref.Ref) (Manifest, error) {
	u := c.base(ref.Registry) + "/v2/" + ref.Repository + "/manifests/" + ref.Reference()
	body, hdr, err := c.get(ctx, ref, u, strings.Join(MediaTypes, ", "), maxManifest)
	if err != nil {
		return Manifest{}, fmt.Errorf("manifest %s: %w", ref.Reference(), err)
	}
	m, err := ParseManifest(hdr.Get("Content-Type"), body)
	if err != nil {
		return Manifest{}, err
	}
	sum := sha256.Sum256(body)
	m.Digest = "sha256:" + hex.EncodeToString(sum[:])
	if d := hdr.Get("Docker-Content-Digest"); digestRE().MatchString(d) {
		m.Digest = d
	}
	if ref.Digest != "" {
		m.Digest = ref.Digest
	}
	return m, nil
}

var digestRE = lazyre.New(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$`)

// Platform reads the platform of a single-manifest image from its config
// blob.
func (c *Client) Platform(ctx context.Context, ref imageref.Ref, configDigest string) (Platform, error) {
	u := c.base(ref.Registry) + "/v2/" + ref.Repository + "/blobs/" + configDigest
	body, _, err := c.get(ctx, ref, u, "", maxConfig)
	if err != nil {
		return Platform{}, fmt.Errorf("config blob %s: %w", configDigest, err)
	}
	return ParseConfig(body)
}

// ConfigAt reads an image config blob from a URL a registry handed out (ECR's
// GetDownloadUrlForLayer answer, a pre-signed link that carries its own
// authorisation).
func (c *Client) ConfigAt(ctx context.Context, rawURL string) (Platform, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Platform{}, fmt.Errorf("config blob URL: %w", err)
	}
	if err := c.allowed(u); err != nil {
		return Platform{}, err
	}
	resp, err := c.do(ctx, http.MethodGet, rawURL, "", "")
	if err != nil {
		return Platform{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Platform{}, fmt.Errorf("config blob: %s from %s", resp.Status, u.Host)
	}
	body, err := readLimited(resp.Body, maxConfig)
	if err != nil {
		return Platform{}, err
	}
	return ParseConfig(body)
}

// base is the API root of a registry host.
func (c *Client) base(host string) string {
	if host == imageref.DockerHub {
		host = dockerHubAPI
	}
	if c.plainLoopback && isLoopback(host) {
		return "http://" + host
	}
	return "https://" + host
}

// allowed refuses any URL but https, except http to loopback in tests, so a
// redirect or a token realm cannot downgrade the connection.
func (c *Client) allowed(u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && c.plainLoopback && isLoopback(u.Host):
		return nil
	}
	return fmt.Errorf("refusing %s://%s: registries are reached over https only", u.Scheme, u.Host)
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// get GETs u for ref's repository, answering a Bearer challenge once with
// an anonymous token.
func (c *Client) get(ctx context.Context, ref imageref.Ref, u, accept string, limit int64) ([]byte, http.Header, error) {
	key := ref.Registry + "/" + ref.Repository
	c.mu.Lock()
	token := c.tokens[key]
	c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		resp, err := c.do(ctx, http.MethodGet, u, accept, token)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			defer resp.Body.Close()
			body, err := readLimited(resp.Body, limit)
			return body, resp.Header, err
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			challenge := resp.Header.Get("WWW-Authenticate")
			drain(resp)
			if token, err = c.anonymousToken(ctx, challenge); err != nil {
				return nil, nil, err
			}
			c.mu.Lock()
			c.tokens[key] = token
			c.mu.Unlock()
			continue
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			drain(resp)
			return nil, nil, fmt.Errorf("%w (%s for an anonymous request)", ErrAuthRequired, resp.Status)
		case resp.StatusCode == http.StatusNotFound:
			code := errorCode(resp)
			return nil, nil, fmt.Errorf("%w (%s%s)", ErrNotFound, resp.Status, code)
		default:
			drain(resp)
			return nil, nil, fmt.Errorf("%s answered %s", ref.Registry, resp.Status)
		}
	}
}

// bearerParam matches one key="value" of a WWW-Authenticate challenge.
var bearerParam = lazyre.New(`([A-Za-z]+)="([^"]*)"`)

// anonymousToken follows a `WWW-Authenticate: Bearer realm=...,service=...,
// scope=...` challenge without credentials, as `docker pull` of a public
// image does. Any other challenge (Basic), or a realm that refuses an
// anonymous token, means the registry wants credentials.
func (c *Client) anonymousToken(ctx context.Context, challenge string) (string, error) {
	scheme, params, _ := strings.Cut(challenge, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w (challenge %q)", ErrAuthRequired, shorten(scheme))
	}
	p := map[string]string{}
	for _, m := range bearerParam().FindAllStringSubmatch(params, -1) {
		p[strings.ToLower(m[1])] = m[2]
	}
	realm, err := url.Parse(p["realm"])
	if err != nil || p["realm"] == "" {
		return "", fmt.Errorf("%w (a Bearer challenge without a usable realm)", ErrAuthRequired)
	}
	if err := c.allowed(realm); err != nil {
		return "", fmt.Errorf("token realm: %w", err)
	}
	q := realm.Query()
	if s := p["service"]; s != "" {
		q.Set("service", s)
	}
	if s := p["scope"]; s != "" {
		q.Set("scope", s)
	}
	realm.RawQuery = q.Encode()
	resp, err := c.do(ctx, http.MethodGet, realm.String(), "application/json", "")
	if err != nil {
		return "", fmt.Errorf("anonymous token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return "", fmt.Errorf("%w (token service %s answered %s)", ErrAuthRequired, realm.Host, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("anonymous token from %s: %s", realm.Host, resp.Status)
	}
	body, err := readLimited(resp.Body, maxToken)
	if err != nil {
		return "", fmt.Errorf("anonymous token: %w", err)
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		return "", fmt.Errorf("anonymous token from %s: %w", realm.Host, err)
	}
	if tok.Token == "" {
		tok.Token = tok.AccessToken
	}
	if tok.Token == "" {
		return "", fmt.Errorf("%w (token service %s gave no token)", ErrAuthRequired, realm.Host)
	}
	return tok.Token, nil
}

func (c *Client) do(ctx context.Context, method, u, accept, token string) (*http.Response, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "omdeploy-preflight")
	return c.http.Do(req)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return b, nil
}

// errorCode reads the registry's error code (MANIFEST_UNKNOWN,
// NAME_UNKNOWN) from a 404 body, for the message.
func errorCode(resp *http.Response) string {
	defer resp.Body.Close()
	body, _ := readLimited(resp.Body, maxToken)
	var doc struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &doc) != nil || len(doc.Errors) == 0 || doc.Errors[0].Code == "" {
		return ""
	}
	return " " + shorten(doc.Errors[0].Code)
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxToken))
	resp.Body.Close()
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
