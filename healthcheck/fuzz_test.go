package healthcheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/omdeploy/omdeploy/config"
)

// fuzzURL is the configured URL of the classification fuzz target; its
// password and token must never show in what an attempt reports.
const (
	fuzzPassword = "hunter2-pass"
	fuzzToken    = "tok-123456"
	fuzzURL      = "https://deploy:" + fuzzPassword + "@api.example.com/healthz?page=1&token=" + fuzzToken
)

// fuzzErr turns a fuzzed selector and message into one of the errors the
// HTTP client returns; 0 is no error (a response).
func fuzzErr(which uint8, msg string) error {
	switch which % 8 {
	case 1:
		return &url.Error{Op: "Get", URL: fuzzURL, Err: errors.New(msg)}
	case 2:
		return &url.Error{Op: "Get", URL: fuzzURL, Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	case 3:
		return &url.Error{Op: "Get", URL: fuzzURL, Err: &net.DNSError{Name: msg, Err: "no such host", IsNotFound: true}}
	case 4:
		return &url.Error{Op: "Get", URL: fuzzURL, Err: context.DeadlineExceeded}
	case 5:
		return &url.Error{Op: "Get", URL: fuzzURL, Err: redirectLimit{next: "https://api.example.com/next"}}
	case 6:
		return &url.Error{Op: "Get", URL: fuzzURL, Err: tls.AlertError(len(msg) % 256)}
	case 7:
		return fmt.Errorf("%s %s: %s", msg, fuzzURL, msg)
	}
	return nil
}

// FuzzClassify classifies arbitrary answers (status, body, transport
// error) against arbitrary expectations: no panic; the same input gives
// the same outcome; a 2xx (or an expected status) whose body holds the
// expected text always passes, anything else never does; and the URL's
// password and token never appear in what is reported.
func FuzzClassify(f *testing.F) {
	f.Add(200, []byte("ok"), "", 0, uint8(0), "")
	f.Add(200, []byte(`{"status":"ok","v":1}`), `{"status":"ok"}`, 0, uint8(0), "")
	f.Add(204, []byte(""), "", 204, uint8(0), "")
	f.Add(200, []byte("not yet"), "ready", 0, uint8(0), "")
	f.Add(503, []byte("echo "+fuzzURL), "", 0, uint8(0), "")
	f.Add(401, []byte("token="+fuzzToken), "", 0, uint8(0), "")
	f.Add(404, []byte(strings.Repeat("a", excerptLimit-3)+fuzzPassword), "", 0, uint8(0), "")
	f.Add(0, []byte(nil), "", 0, uint8(7), "dial "+fuzzPassword)
	f.Add(0, []byte(nil), "", 0, uint8(3), "api.example.com")
	c := New(Options{})
	f.Fuzz(func(t *testing.T, code int, body []byte, expectBody string, expectStatus int, which uint8, msg string) {
		ep := config.Endpoint{Path: "/healthz", ExpectBody: expectBody}
		if expectStatus != 0 {
			ep.ExpectStatus = []int{expectStatus}
		}
		err := fuzzErr(which, msg)
		once := func() outcome {
			p := &probe{service: "api", ep: ep, red: newRedactor(fuzzURL)}
			var resp *http.Response
			if err == nil {
				resp = &http.Response{StatusCode: code, Body: io.NopCloser(bytes.NewReader(body))}
			}
			return c.classify(p, resp, err)
		}
		o := once()
		if again := once(); again != o {
			t.Fatalf("classify is not deterministic: %+v then %+v", o, again)
		}

		read := body[:min(len(body), matchLimit)]
		good := err == nil && expected(ep, code) && (expectBody == "" || bytes.Contains(read, []byte(expectBody)))
		if good && o.class != ClassPass {
			t.Fatalf("status %d with body %q (expect_body %q) classified %s: %s", code, body, expectBody, o.class, o.desc)
		}
		if (err != nil || !expected(ep, code)) && o.class == ClassPass {
			t.Fatalf("status %d, error %v classified as a pass", code, err)
		}
		for _, secret := range []string{fuzzPassword, fuzzToken} {
			if strings.Contains(o.desc, secret) && !strings.Contains(expectBody, secret) {
				t.Fatalf("outcome shows the secret %q: %s", secret, o.desc)
			}
		}
	})
}

// FuzzRedact writes an arbitrary secret into a URL as a token= value and
// as the password, as someone could in a config, and checks that neither
// the rendered URL nor scrubbed text (an error message, a body echoing the
// request, cut to a snippet) ever shows it.
func FuzzRedact(f *testing.F) {
	f.Add("s3cr3t-value", "before ", " after", 0)
	f.Add("abc%zz", "", "", 0)
	f.Add("abcd;v=1", "", "", 0)
	f.Add("p%41ssword", "echo ", "", 0)
	f.Add("ab cd+ef", "", "", 10)
	f.Add("tokentoken", strings.Repeat("b", excerptLimit-4), "", 0)
	f.Add("héllo-wörld", strings.Repeat("b", excerptLimit-2), "", 1)
	f.Fuzz(func(t *testing.T, secret, before, after string, pad int) {
		// A secret made of the mask's own letter could appear by joining
		// masked text and the text around it; such a secret shows nothing.
		if strings.Contains(secret, "x") {
			return
		}
		// As a query value, the secret runs to the next separator.
		token, _, _ := strings.Cut(secret, "&")
		token, _, _ = strings.Cut(token, "#")
		// As a password, to the end of the authority.
		password := secret
		if i := strings.IndexAny(password, "@/?#"); i >= 0 {
			password = password[:i]
		}
		for _, c := range []struct{ raw, value string }{
			{"https://api.example.com/h?page=1&token=" + token + "&v=2", token},
			{"https://api.example.com/h?password=" + token, token},
			{"https://deploy:" + password + "@api.example.com/h", password},
		} {
			if len(c.value) < minSecret || strings.Contains(strings.Replace(c.raw, c.value, "", 1), c.value) {
				continue // too short to mask, or also part of the URL's other text
			}
			if u, err := url.Parse(c.raw); err == nil {
				if got := redactURL(u); strings.Contains(got, c.value) {
					t.Fatalf("redactURL(%q) = %q shows %q", c.raw, got, c.value)
				}
			}
			r := newRedactor(c.raw)
			text := before + c.raw + " " + c.value + after
			if got := r.scrub(text); strings.Contains(got, c.value) {
				t.Fatalf("scrub(%q) = %q shows %q (secrets %q)", text, got, c.value, r.secrets)
			}
			body := strings.Repeat("b", max(0, min(pad, 2*excerptLimit))) + before + c.value + after
			sn := r.excerpt([]byte(body))
			shown, err := strconv.Unquote(strings.TrimSuffix(sn, " (truncated)"))
			if err != nil {
				t.Fatalf("snippet %q is not a quoted string: %v", sn, err)
			}
			if strings.Contains(shown, c.value) {
				t.Fatalf("snippet of %q = %s shows %q", body, sn, c.value)
			}
			if strings.HasSuffix(sn, " (truncated)") {
				for k := len(c.value) - 1; k >= minSecret; k-- {
					if strings.HasSuffix(shown, c.value[:k]) {
						t.Fatalf("snippet of %q = %s ends in the first %d bytes of %q", body, sn, k, c.value)
					}
				}
			}
		}
	})
}
