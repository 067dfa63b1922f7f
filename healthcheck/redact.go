package healthcheck

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

const masked = "xxxxx"

// redactURL renders u without credentials: the userinfo's password (or the
// whole userinfo when it is a bare token) and the values of query
// parameters whose names look secret.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), masked)
		} else {
			c.User = url.User(masked)
		}
	}
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k, vs := range q {
			if secretKey(k) {
				for i := range vs {
					vs[i] = masked
				}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"token", "secret", "passw", "pwd", "key", "signature", "sig", "credential", "auth", "session"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redactor scrubs the credentials of one configured URL from free text
// (error messages, bodies that echo the request), where redactURL cannot
// reach.
type redactor struct{ secrets []string }

// minSecret keeps a one-letter password from masking every such letter of
// a message.
const minSecret = 4

func newRedactor(raw string) redactor {
	u, err := url.Parse(raw)
	if err != nil {
		return redactor{}
	}
	var found []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			found = append(found, pw)
		} else {
			found = append(found, u.User.Username())
		}
	}
	for k, vs := range u.Query() {
		if secretKey(k) {
			found = append(found, vs...)
		}
	}
	var r redactor
	for _, s := range found {
		if len(s) < minSecret {
			continue
		}
		r.secrets = append(r.secrets, s, url.QueryEscape(s), url.PathEscape(s))
	}
	return r
}

func (r redactor) scrub(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, masked)
	}
	return s
}

// snippet shows at most snippetLimit bytes of a body, quoted, and says when
// it was cut.
func (r redactor) snippet(b []byte) string {
	cut := len(b) > snippetLimit
	if cut {
		b = b[:snippetLimit]
		// Do not split the last character.
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	s := strconv.Quote(r.scrub(string(b)))
	if cut {
		s += " (truncated)"
	}
	return s
}
