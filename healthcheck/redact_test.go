package healthcheck

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
)

// secretForms are bodies holding one secret each, in the forms services
// echo them: the secret must never reach a result, an event or an error.
var secretForms = []struct {
	name, body, secret string
}{
	{"key=value", "db password=hunter2-pw&user=app", "hunter2-pw"},
	{"passwd colon", "passwd: hunter2pw\n", "hunter2pw"},
	{"json pair", `{"db_password": "hunter2-json", "ok": false}`, "hunter2-json"},
	{"json value with spaces", `{"client_secret":"s3cr3t value with spaces"}`, "s3cr3t value with spaces"},
	{"json escaped in json", `{"log":"{\"api_key\":\"escaped-key-123\"}"}`, "escaped-key-123"},
	{"single quoted", "token='single-quoted-tok'", "single-quoted-tok"},
	{"apikey", "apikey=abcdef123456", "abcdef123456"},
	{"header api key", "X-Api-Key: key-in-header-123\n", "key-in-header-123"},
	{"access key", "aws_access_key=plain-access-value", "plain-access-value"},
	{"authorization bearer", "Authorization: Bearer opaque.token_value-123\n", "opaque.token_value-123"},
	{"authorization basic", "Authorization: Basic dXNlcjpwYXNzd29yZA==\n", "dXNlcjpwYXNzd29yZA=="},
	{"credential", `credentials = "cr3ds-value"`, "cr3ds-value"},
	{"private key", `{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"}`, "MIIEvQIBADANBg"},
	{"session", "Set-Cookie: session=sess-abc-123; Path=/", "sess-abc-123"},
	{"bare bearer", "use Bearer bare-bearer-tok-9 next time", "bare-bearer-tok-9"},
	{"access key id", "key AKIAIOSFODNN7EXAMPLE rejected", "AKIAIOSFODNN7EXAMPLE"},
	{"temporary key id", "key ASIAQWERTYUIOPASDFGH rejected", "ASIAQWERTYUIOPASDFGH"},
	{"secret access key", "aws says wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is wrong", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	{"jwt", "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJzdWIiOiIxIn0"},
}

// Every path that shows a body — an unexpected status, an auth failure, a
// body mismatch — shows it redacted, in the result, the events and the
// error, and still shows the rest of the body.
func TestBodySecretsNeverShown(t *testing.T) {
	t.Parallel()
	const marker = "visible-marker"
	paths := []struct {
		name   string
		status int
		ep     config.Endpoint
	}{
		{"unexpected status", http.StatusTeapot, config.Endpoint{Path: "/healthz"}},
		{"auth", http.StatusUnauthorized, config.Endpoint{Path: "/healthz"}},
		{"body mismatch", http.StatusOK, config.Endpoint{Path: "/healthz", ExpectBody: "all good"}},
	}
	for _, path := range paths {
		for _, form := range secretForms {
			t.Run(path.name+"/"+form.name, func(t *testing.T) {
				t.Parallel()
				srv, _ := serve(t, body(path.status, marker+" "+form.body))
				res, events, err := one(t, fast(nil), healthOf(srv.URL, 5*time.Second, path.ep))
				if err == nil {
					t.Fatal("check passed, want a failure that shows the body")
				}
				resJSON, _ := json.Marshal(res)
				shown := map[string]string{"result": string(resJSON), "error": err.Error()}
				for i, e := range events {
					shown[fmt.Sprintf("event %d", i)] = fmt.Sprintf("%+v", e)
				}
				for where, text := range shown {
					if strings.Contains(text, form.secret) {
						t.Errorf("%s shows the secret %q: %s", where, form.secret, text)
					}
				}
				if !strings.Contains(err.Error(), marker) {
					t.Errorf("error does not show the body at all: %s", err)
				}
				if n := len(event.Of[event.Failure](events)); n != 1 {
					t.Errorf("%d failure events, want 1", n)
				}
			})
		}
	}
}

// The one-shot probe preflight shows is redacted the same way.
func TestProbeBodySecretsNeverShown(t *testing.T) {
	t.Parallel()
	for _, form := range secretForms {
		t.Run(form.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := serve(t, body(http.StatusForbidden, form.body))
			got := New(fast(nil)).Probe(ctxFor(t), srv.URL, config.Endpoint{Path: "/healthz"})
			if got.Class != ClassAuth || strings.Contains(fmt.Sprintf("%+v", got), form.secret) {
				t.Fatalf("Probe = %+v, want auth without %q", got, form.secret)
			}
		})
	}
}

func TestRedactSecrets(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"query pair", "a=1&password=pw1234&b=2", "a=1&password=xxxxx&b=2"},
		{"json keeps its shape", `{"token": "t0k3n", "status": "ok"}`, `{"token": "xxxxx", "status": "ok"}`},
		{"escaped json keeps its shape", `{\"secret\":\"v\"}`, `{\"secret\":\"xxxxx\"}`},
		{"header with scheme", "Authorization: Bearer abc.def", "Authorization: xxxxx"},
		{"unterminated quote at the end", `{"password": "hunt`, `{"password": "xxxxx"`},
		{"commit hash left alone", "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904", "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904"},
		{"uuid left alone", "request 123e4567-e89b-12d3-a456-426614174000", "request 123e4567-e89b-12d3-a456-426614174000"},
		{"plain words left alone", `{"status":"degraded","db":"down"}`, `{"status":"degraded","db":"down"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactSecrets(tt.in); got != tt.want {
				t.Fatalf("redactSecrets(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
