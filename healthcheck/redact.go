package healthcheck

import (
	"bytes"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
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

// scrub masks in free text (error messages, bodies) the configured URL's
// credentials and whatever looks like a secret (see redactSecrets). Every
// text that reaches a message, an event or a result goes through it.
func (r redactor) scrub(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, masked)
	}
	return redactSecrets(s)
}

// Limits of body text.
const (
	// excerptLimit bounds the body text any message, event or result
	// shows, after redaction.
	excerptLimit = 200
	// excerptWindow is how much of a body is read and redacted to make an
	// excerpt. It is larger than excerptLimit so that a secret that starts
	// inside the excerpt is seen whole by the patterns before the cut.
	excerptWindow = 4 << 10
)

// excerpt is how a body appears anywhere: redacted, then cut to at most
// excerptLimit bytes, quoted, marked when cut.
func (r redactor) excerpt(b []byte) string {
	cut := false
	if len(b) > excerptWindow {
		// The token the window splits could be a secret too short to
		// match a pattern any more: drop it, up to the last separator.
		b = b[:excerptWindow]
		b = b[:bytes.LastIndexFunc(b, isSeparator)+1]
		cut = true
	}
	s := r.scrub(string(b))
	if len(s) > excerptLimit {
		s = cutUTF8(s, excerptLimit)
		cut = true
	}
	q := strconv.Quote(s)
	if cut {
		q += " (truncated)"
	}
	return q
}

// clip bounds free text that is not a body (a transport error quoting what
// the server sent) to twice excerptLimit.
func clip(s string) string {
	if len(s) <= 2*excerptLimit {
		return s
	}
	return cutUTF8(s, 2*excerptLimit) + "… (truncated)"
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(`"',;&<>{}[]()`, r)
}

// Patterns of secrets in text. Over-masking a health message costs little;
// printing a password into a CI log costs a rotation.
var (
	// secretPair is key=value, key: value and "key": "value" (also JSON
	// escaped inside JSON) where the key names a secret. The value may be
	// quoted, unquoted, or an auth scheme and its credentials.
	secretPair = regexp.MustCompile(`(?i)` +
		`((?:\\?["'])?[\w.-]*(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|` +
		`credential|authorization|auth|session|cookie|signature)[\w.-]*(?:\\?["'])?[ \t]*[:=][ \t]*)` +
		`(\\"(?:[^"\\]|\\[^"])*(?:\\"|$)` + // \"value\" inside a JSON string
		`|"(?:[^"\\]|\\.)*(?:"|$)` + // "value"
		`|'[^']*(?:'|$)` + // 'value'
		`|(?:(?:bearer|basic|digest|token)[ \t]+)?[^\s"'&,;<>{}\[\]]+)`) // value, Bearer value
	bearer = regexp.MustCompile(`(?i)\b(bearer[ \t]+)[A-Za-z0-9._~+/=-]{6,}`)
	// awsKeyID is an access key ID: long-term (AKIA) or temporary (ASIA).
	awsKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)
	jwt      = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	// longToken is a candidate for a key or token without a telling name
	// (an AWS secret access key, an API key); see highEntropy.
	longToken = regexp.MustCompile(`[A-Za-z0-9+/_-]{32,}={0,2}`)
)

// redactSecrets masks the values of secret-named pairs, bearer tokens,
// JWTs, AWS access key IDs, and long tokens that mix upper case, lower
// case and digits the way random keys do. Hex strings (commit hashes,
// digests a health body reports on purpose) and UUIDs are left alone.
func redactSecrets(s string) string {
	s = secretPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretPair.FindStringSubmatch(m)
		key, val := sub[1], sub[2]
		switch {
		case strings.HasPrefix(val, `\"`):
			return key + `\"` + masked + `\"`
		case strings.HasPrefix(val, `"`):
			return key + `"` + masked + `"`
		case strings.HasPrefix(val, `'`):
			return key + `'` + masked + `'`
		}
		return key + masked
	})
	s = bearer.ReplaceAllString(s, "${1}"+masked)
	s = jwt.ReplaceAllString(s, masked)
	s = awsKeyID.ReplaceAllString(s, masked)
	return longToken.ReplaceAllStringFunc(s, func(m string) string {
		if highEntropy(m) {
			return masked
		}
		return m
	})
}

func highEntropy(s string) bool {
	var upper, lower, digit bool
	for _, c := range s {
		switch {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}
