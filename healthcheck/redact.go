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
	// Masked on the raw text, pair by pair: url.Values would drop a pair it
	// cannot parse (a bad escape, a ";") and so leave its secret in place,
	// and would reorder the rest.
	c.RawQuery = redactQuery(c.RawQuery)
	// The fragment never reaches the server, and OAuth puts tokens there.
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// redactQuery masks the values of the secret-looking parameters of a raw
// query, keeping everything else as written.
func redactQuery(q string) string {
	pairs := strings.Split(q, "&")
	for i, pair := range pairs {
		pairs[i] = redactPair(pair)
	}
	return strings.Join(pairs, "&")
}

// redactPair masks the value of one key=value pair when the key looks
// secret. Some servers also split pairs at ";", so when it does not, the
// text after each ";" is tried as a pair too.
func redactPair(pair string) string {
	if k, _, ok := strings.Cut(pair, "="); ok && secretKey(unescapeLenient(k)) {
		return k + "=" + masked
	}
	if head, rest, ok := strings.Cut(pair, ";"); ok {
		return head + ";" + redactPair(rest)
	}
	return pair
}

// unescapeLenient decodes a query key, or returns it as written when it
// holds a bad escape.
func unescapeLenient(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
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
	var r redactor
	for _, s := range secretsIn(raw) {
		if len(s) < minSecret {
			continue
		}
		r.secrets = append(r.secrets, s, url.QueryEscape(s), url.PathEscape(s))
	}
	return r
}

// secretsIn lists the credentials written in raw: the userinfo's password
// (or the whole userinfo when it is a bare token) and the values of
// secret-looking query parameters, each as written and decoded. It reads
// raw by hand rather than with url.Parse, so that a URL Parse refuses,
// which an error message then quotes whole, still has its secrets found.
func secretsIn(raw string) []string {
	var found []string
	add := func(s string, unescape func(string) (string, error)) {
		found = append(found, s)
		if u, err := unescape(s); err == nil && u != s {
			found = append(found, u)
		}
	}
	rest, _, _ := strings.Cut(raw, "#")
	rest, query, _ := strings.Cut(rest, "?")
	if _, authority, ok := strings.Cut(rest, "://"); ok {
		authority, _, _ = strings.Cut(authority, "/")
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			userinfo := authority[:at]
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				add(pw, url.PathUnescape)
			} else {
				add(userinfo, url.PathUnescape)
			}
		}
	}
	for _, pair := range strings.Split(query, "&") {
		// As in redactPair: the value runs to the next "&", or for servers
		// that split at ";" too, to the next ";".
		for pair != "" {
			if k, v, ok := strings.Cut(pair, "="); ok && secretKey(unescapeLenient(k)) {
				add(v, url.QueryUnescape)
				if short, _, ok := strings.Cut(v, ";"); ok {
					add(short, url.QueryUnescape)
				}
			}
			_, pair, _ = strings.Cut(pair, ";")
		}
	}
	return found
}

func (r redactor) scrub(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, masked)
	}
	return s
}

// snippet shows at most snippetLimit bytes of a body, quoted, and says when
// it was cut. Secrets are masked before the cut, so that one straddling it
// is still found, and a cut that ends in what may be the start of one masks
// that too.
func (r redactor) snippet(b []byte) string {
	cut := len(b) > snippetLimit
	s := r.scrub(string(b))
	if cut {
		if len(s) > snippetLimit {
			s = s[:snippetLimit]
		}
		// Do not split the last character.
		for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
			if utf8.RuneStart(s[i]) {
				if !utf8.FullRuneInString(s[i:]) {
					s = s[:i]
				}
				break
			}
		}
		s = r.maskCutSecret(s)
	}
	s = strconv.Quote(s)
	if cut {
		s += " (truncated)"
	}
	return s
}

// maskCutSecret masks the end of s when it is the beginning of a secret:
// the rest of the secret was cut off, so scrub could not recognise it.
func (r redactor) maskCutSecret(s string) string {
	for _, sec := range r.secrets {
		for k := min(len(sec)-1, len(s)); k >= 1; k-- {
			if strings.HasSuffix(s, sec[:k]) {
				return s[:len(s)-k] + masked
			}
		}
	}
	return s
}
