package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/imageref"
)

const (
	indexBody  = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"sha256:aa","platform":{"os":"linux","architecture":"amd64"}},{"digest":"sha256:bb","platform":{"os":"linux","architecture":"arm64","variant":"v8"}},{"digest":"sha256:cc","platform":{"os":"unknown","architecture":"unknown"}}]}`
	singleBody = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":"sha256:c0ffee"},"layers":[]}`
	configBody = `{"os":"linux","architecture":"arm64","config":{}}`
)

// fakeRegistry speaks the registry v2 API: repositories "pub/*" answer an
// anonymous token from /token, "private/*" challenge with Basic, and
// "flaky/*" fail with 503 a few times first. It records every request.
type fakeRegistry struct {
	srv   *httptest.Server
	mu    sync.Mutex
	log   []string
	flaky int // 503s left for flaky/*
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeRegistry) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
	flaky := strings.HasPrefix(r.URL.Path, "/v2/flaky/") && f.flaky > 0
	if flaky {
		f.flaky--
	}
	f.mu.Unlock()
	if r.URL.Path == "/token" {
		if r.URL.Query().Get("service") != "fake" || !strings.Contains(r.URL.Query().Get("scope"), ":pull") {
			http.Error(w, "bad token request", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"token":"anon-token"}`)
		return
	}
	repo, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	sub, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"+repo+"/"), "/")
	repo += "/" + sub
	rest := strings.TrimPrefix(r.URL.Path, "/v2/"+repo+"/")
	switch {
	case flaky:
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	case strings.HasPrefix(repo, "private/"):
		w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	case r.Header.Get("Authorization") != "Bearer anon-token":
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake",scope="repository:%s:pull"`, f.srv.URL, repo))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	notFound := func(code string) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"unknown"}]}`, code)
	}
	if repo != "pub/app" && repo != "flaky/app" {
		notFound("NAME_UNKNOWN")
		return
	}
	switch rest {
	case "manifests/multi":
		if !strings.Contains(r.Header.Get("Accept"), MediaOCIIndex) {
			http.Error(w, "no index accepted", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", MediaOCIIndex)
		w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("1", 64))
		fmt.Fprint(w, indexBody)
	case "manifests/single":
		w.Header().Set("Content-Type", MediaDockerManifest)
		fmt.Fprint(w, singleBody)
	case "blobs/sha256:c0ffee":
		fmt.Fprint(w, configBody)
	default:
		notFound("MANIFEST_UNKNOWN")
	}
}

func testClient() *Client {
	return New(Options{PlainHTTPLoopback: true, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond, AttemptTimeout: 5 * time.Second})
}

func ref(t *testing.T, image string) imageref.Ref {
	t.Helper()
	r, err := imageref.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolve(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte(singleBody))
	tests := []struct {
		name          string
		repo          string
		wantErr       error
		wantInErr     string
		wantDigest    string
		wantPlatforms []Platform
		wantConfig    string
	}{
		{
			name: "index through the anonymous token flow", repo: "pub/app:multi",
			wantDigest:    "sha256:" + strings.Repeat("1", 64),
			wantPlatforms: []Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}},
		},
		{name: "single manifest: digest of the body", repo: "pub/app:single", wantDigest: "sha256:" + hex.EncodeToString(sum[:]), wantConfig: "sha256:c0ffee"},
		{name: "missing tag", repo: "pub/app:nope", wantErr: ErrNotFound, wantInErr: "MANIFEST_UNKNOWN"},
		{name: "missing repository", repo: "pub/other:v1", wantErr: ErrNotFound, wantInErr: "NAME_UNKNOWN"},
		{name: "credentials demanded", repo: "private/app:v1", wantErr: ErrAuthRequired, wantInErr: "Basic"},
		{name: "503s retried", repo: "flaky/app:multi", wantDigest: "sha256:" + strings.Repeat("1", 64),
			wantPlatforms: []Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeRegistry(t)
			f.flaky = 2
			m, err := testClient().Resolve(context.Background(), ref(t, f.host()+"/"+tt.repo))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantInErr) {
					t.Fatalf("Resolve error = %v, want %v with %q", err, tt.wantErr, tt.wantInErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v (requests %v)", err, f.requests())
			}
			if m.Digest != tt.wantDigest || !slices.Equal(m.Platforms, tt.wantPlatforms) || m.Config != tt.wantConfig {
				t.Fatalf("Resolve = %+v, want digest %s platforms %v config %q", m, tt.wantDigest, tt.wantPlatforms, tt.wantConfig)
			}
		})
	}
}

func TestTokenReusedAndPlatformRead(t *testing.T) {
	t.Parallel()
	f := newFakeRegistry(t)
	c := testClient()
	r := ref(t, f.host()+"/pub/app:single")
	m, err := c.Resolve(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Platform(context.Background(), r, m.Config)
	if err != nil {
		t.Fatal(err)
	}
	if p != (Platform{OS: "linux", Architecture: "arm64"}) {
		t.Fatalf("Platform = %+v", p)
	}
	var tokens int
	for _, req := range f.requests() {
		if strings.HasPrefix(req, "GET /token") {
			tokens++
		}
	}
	if tokens != 1 {
		t.Fatalf("%d token requests, want 1 (the token is kept for the repository): %v", tokens, f.requests())
	}
}

func TestPlainHTTPOnlyForLoopbackInTests(t *testing.T) {
	t.Parallel()
	prod := New(Options{})
	test := testClient()
	tests := []struct {
		name string
		c    *Client
		host string
		want string
	}{
		{name: "production, loopback", c: prod, host: "127.0.0.1:5000", want: "https://127.0.0.1:5000"},
		{name: "production, docker hub", c: prod, host: imageref.DockerHub, want: "https://registry-1.docker.io"},
		{name: "test, loopback", c: test, host: "127.0.0.1:5000", want: "http://127.0.0.1:5000"},
		{name: "test, ipv6 loopback", c: test, host: "[::1]:5000", want: "http://[::1]:5000"},
		{name: "test, other host stays https", c: test, host: "ghcr.io", want: "https://ghcr.io"},
		{name: "test, private address stays https", c: test, host: "10.0.0.1:5000", want: "https://10.0.0.1:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.c.base(tt.host); got != tt.want {
				t.Fatalf("base(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

// A token realm on plain http off loopback is refused before any request:
// it would send the token request, and then the token, in the clear.
func TestTokenRealmMustBeHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="http://auth.example.invalid/token",service="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	_, err := testClient().Resolve(context.Background(), ref(t, strings.TrimPrefix(srv.URL, "http://")+"/pub/app:v1"))
	if err == nil || !strings.Contains(err.Error(), "https only") {
		t.Fatalf("Resolve error = %v, want a refused realm", err)
	}
}

func TestAttemptTimeoutBounds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := New(Options{PlainHTTPLoopback: true, AttemptTimeout: 50 * time.Millisecond, RetryMax: -1})
	start := time.Now()
	_, err := c.Resolve(context.Background(), ref(t, strings.TrimPrefix(srv.URL, "http://")+"/pub/app:v1"))
	if err == nil {
		t.Fatal("Resolve of a hanging registry succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Resolve took %s with a 50ms attempt timeout", d)
	}
}

func TestParseManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, mediaType, body string
		wantIndex             bool
		wantConfig            string
		wantErr               bool
	}{
		{name: "oci index", mediaType: MediaOCIIndex, body: indexBody, wantIndex: true},
		{name: "docker manifest", mediaType: MediaDockerManifest, body: singleBody, wantConfig: "sha256:c0ffee"},
		{name: "media type from the body", body: singleBody, wantConfig: "sha256:c0ffee"},
		{name: "oci manifest without mediaType", body: `{"schemaVersion":2,"config":{"digest":"sha256:1"}}`, wantConfig: "sha256:1"},
		{name: "content type with parameters", mediaType: MediaDockerList + "; charset=utf-8", body: `{"manifests":[]}`, wantIndex: true},
		{name: "schema 1", mediaType: mediaDockerSchema1JSON, body: `{"schemaVersion":1}`, wantErr: true},
		{name: "not json", mediaType: MediaOCIManifest, body: `<html>`, wantErr: true},
		{name: "manifest without config", mediaType: MediaOCIManifest, body: `{}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseManifest(tt.mediaType, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseManifest = %+v, %v; wantErr %v", m, err, tt.wantErr)
			}
			if err == nil && (m.IsIndex() != tt.wantIndex || m.Config != tt.wantConfig) {
				t.Fatalf("ParseManifest = %+v, want index %v config %q", m, tt.wantIndex, tt.wantConfig)
			}
		})
	}
}
