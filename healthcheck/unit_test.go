package healthcheck

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/omdeploy/omdeploy/config"
)

func TestJitteredBackoff(t *testing.T) {
	const lo, hi = 250 * time.Millisecond, 5 * time.Second
	tests := []struct {
		retry    int
		min, max time.Duration
	}{
		{0, lo / 2, lo},
		{1, lo, 2 * lo},
		{3, 1 * time.Second, 2 * time.Second},
		{5, hi / 2, hi}, // 8s capped at 5s
		{62, hi / 2, hi},
		{1000, hi / 2, hi},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := jittered(lo, hi, tt.retry)
			if d < tt.min || d > tt.max {
				t.Fatalf("retry %d: %s outside %s..%s", tt.retry, d, tt.min, tt.max)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("retry %d: only %d distinct waits in 200: no jitter", tt.retry, len(seen))
		}
	}
}

func TestBackoffHonoursRetryAfterOnlyOn429And503(t *testing.T) {
	c := New(Options{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: 30 * time.Second})
	resp := func(code int, ra string) *http.Response {
		return &http.Response{StatusCode: code, Header: http.Header{"Retry-After": {ra}}}
	}
	tests := []struct {
		name     string
		resp     *http.Response
		min, max time.Duration
	}{
		{"429 seconds", resp(429, "7"), 7 * time.Second, 7 * time.Second},
		{"503 seconds", resp(503, "2"), 2 * time.Second, 2 * time.Second},
		{"capped", resp(429, "3600"), 30 * time.Second, 30 * time.Second},
		{"zero still waits the minimum", resp(503, "0"), time.Millisecond, time.Millisecond},
		{"ignored on 502", resp(502, "7"), 0, 2 * time.Millisecond},
		{"garbage", resp(429, "soon"), 0, 2 * time.Millisecond},
		{"no response", nil, 0, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := c.backoff(time.Millisecond, 2*time.Millisecond, 0, tt.resp); d < tt.min || d > tt.max {
				t.Fatalf("backoff = %s, want %s..%s", d, tt.min, tt.max)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"", 0, false},
		{"Sat, 01 Mar 2025 12:00:30 GMT", 30 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true}, // in the past
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got, ok := parseRetryAfter(tt.in, now); got != tt.want || ok != tt.ok {
				t.Fatalf("parseRetryAfter(%q) = %s %v, want %s %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBodyMatches(t *testing.T) {
	tests := []struct {
		name, body, want string
		match            bool
	}{
		{"substring", "status: ok", "ok", true},
		{"missing", "status: fail", "ok", false},
		{"json fields any order", `{"b":2,"a":"x"}`, `{"a":"x"}`, true},
		{"json nested", `{"checks":{"db":"up","cache":"down"}}`, `{"checks":{"db":"up"}}`, true},
		{"json nested mismatch", `{"checks":{"db":"down"}}`, `{"checks":{"db":"up"}}`, false},
		{"json number", `{"ready": 1}`, `{"ready":1}`, true},
		{"json missing key", `{"b":2}`, `{"a":2}`, false},
		{"body not json", `<html>ok</html>`, `{"status":"ok"}`, false},
		{"want not an object falls back to substring", `["ok"]`, `"ok"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bodyMatches([]byte(tt.body), tt.want); got != tt.match {
				t.Fatalf("bodyMatches(%q, %q) = %v", tt.body, tt.want, got)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.com/healthz", "https://api.example.com/healthz"},
		{"https://user:pa55word@api.example.com/h", "https://user:xxxxx@api.example.com/h"},
		{"https://ghp_tokenonly@api.example.com/h", "https://xxxxx@api.example.com/h"},
		{"https://api.example.com/h?access_token=abc&v=1", "https://api.example.com/h?access_token=xxxxx&v=1"},
		{"https://api.example.com/h?X-Amz-Signature=abc&X-Amz-Credential=def", "https://api.example.com/h?X-Amz-Signature=xxxxx&X-Amz-Credential=xxxxx"},
		{"https://api.example.com/h?page=2", "https://api.example.com/h?page=2"},
		{"https://api.example.com/h?token=abc%zz&v=1", "https://api.example.com/h?token=xxxxx&v=1"},
		{"https://api.example.com/h?x=1;token=abc&v=2", "https://api.example.com/h?x=1;token=xxxxx&v=2"},
		{"https://api.example.com/h#access_token=abc", "https://api.example.com/h"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := redactURL(u); got != tt.want {
				t.Fatalf("redactURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	r := newRedactor("https://deploy:s3cr%2Ft@host/h?token=tok-123456")
	got := r.scrub(`dial "https://deploy:s3cr%2Ft@host/h": s3cr/t refused; echo tok-123456`)
	if strings.Contains(got, "s3cr") || strings.Contains(got, "tok-123456") {
		t.Fatalf("scrub left a secret: %q", got)
	}
	// A URL url.Parse refuses still has its password found.
	if got := newRedactor("https://u:pa ss-word@host/%zz").scrub("GET https://u:pa ss-word@host/%zz"); strings.Contains(got, "pa ss-word") {
		t.Fatalf("scrub left the password of an unparsable URL: %q", got)
	}
	if short := newRedactor("https://u:ab@host/"); short.scrub("about") != "about" {
		t.Fatal("a two-letter password should not mask every 'ab'")
	}
}

func TestExcerpt(t *testing.T) {
	var r redactor
	if got := r.excerpt([]byte("short")); got != `"short"` {
		t.Fatalf("excerpt = %q", got)
	}
	// A multi-byte character straddling the limit is dropped, not split.
	b := []byte(strings.Repeat("a", excerptLimit-1) + "é" + "tail")
	got := r.excerpt(b)
	if !strings.HasSuffix(got, `a" (truncated)`) || strings.Contains(got, `\x`) {
		t.Fatalf("excerpt = %q", got[len(got)-30:])
	}
	if !utf8.ValidString(got) {
		t.Fatal("excerpt is not valid UTF-8")
	}
}

// A secret the read window splits is dropped with its token, not shown in
// part: cut short, it would no longer look like a secret.
func TestExcerptDropsTheTokenTheWindowSplits(t *testing.T) {
	const key = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY1234"
	// The window ends 19 bytes into the key. Redaction shrinks the long
	// value before it, so the split key would move into the excerpt if it
	// were kept, and 19 bytes no longer look like a key.
	head := "api_key=" + strings.Repeat("Zz9", excerptWindow)[:excerptWindow-19-len("api_key= ")] + " "
	body := head + key + " tail"
	if len(head) != excerptWindow-19 {
		t.Fatalf("head is %d bytes", len(head))
	}
	got := redactor{}.excerpt([]byte(body))
	if strings.Contains(got, key[:8]) {
		t.Fatalf("excerpt shows part of the split key: %q", got)
	}
}

func TestExpectText(t *testing.T) {
	tests := []struct {
		codes []int
		want  string
	}{
		{nil, "any 2xx"},
		{[]int{204}, "204"},
		{[]int{200, 204}, "200 or 204"},
		{[]int{200, 202, 204}, "200, 202 or 204"},
	}
	for _, tt := range tests {
		if got := expectText(config.Endpoint{ExpectStatus: tt.codes}); got != tt.want {
			t.Errorf("expectText(%v) = %q, want %q", tt.codes, got, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := New(Options{MinBackoff: time.Second, MaxBackoff: time.Millisecond})
	o := c.opts
	if o.AttemptTimeout != DefaultAttemptTimeout || o.MaxBackoff != time.Second || o.NotFoundRetries != DefaultNotFoundRetries ||
		o.DNSRetries != DefaultDNSRetries || o.MaxRetryAfter != DefaultMaxRetryAfter || o.Reporter == nil || o.Logger == nil {
		t.Fatalf("defaults not applied: %+v", o)
	}
	if d := New(Options{}).opts; d.MinBackoff != DefaultMinBackoff || d.MaxBackoff != DefaultMaxBackoff {
		t.Fatalf("backoff defaults %s..%s", d.MinBackoff, d.MaxBackoff)
	}
}
