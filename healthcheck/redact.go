package healthcheck

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/omdeploy/omdeploy/internal/lazyre"
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
		s = r.maskCutSecret(cutUTF8(s, excerptLimit))
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
	secretPair = lazyre.New(`(?i)` +
		`((?:\\?["'])?[\w.-]*(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|` +
		`credential|authorization|auth|session|cookie|signature)[\w.-]*(?:\\?["'])?[ \t]*[:=][ \t]*)` +
		`(\\"(?:[^"\\]|\\[^"])*(?:\\"|$)` + // \"value\" inside a JSON string
		`|"(?:[^"\\]|\\.)*(?:"|$)` + // "value"
		`|'[^']*(?:'|$)` + // 'value'
		`|(?:(?:bearer|basic|digest|token)[ \t]+)?[^\s"'&,;<>{}\[\]]+)`) // value, Bearer value
	bearer = lazyre.New(`(?i)\b(bearer[ \t]+)[A-Za-z0-9._~+/=-]{6,}`)
	// awsKeyID is an access key ID: long-term (AKIA) or temporary (ASIA).
	awsKeyID = lazyre.New(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)
	jwt      = lazyre.New(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	// longToken is a candidate for a key or token without a telling name
	// (an AWS secret access key, an API key); see highEntropy.
	longToken = lazyre.New(`[A-Za-z0-9+/_-]{32,}={0,2}`)
)

// redactSecrets masks the values of secret-named pairs, bearer tokens,
// JWTs, AWS access key IDs, and long tokens that mix upper case, lower
// case and digits the way random keys do. Hex strings (commit hashes,
// digests a health body reports on purpose) and UUIDs are left alone.
func redactSecrets(s string) string {
	s = secretPair().ReplaceAllStringFunc(s, func(m string) string {
		sub := secretPair().FindStringSubmatch(m)
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
	s = bearer().ReplaceAllString(s, "${1}"+masked)
	s = jwt().ReplaceAllString(s, masked)
	s = awsKeyID().ReplaceAllString(s, masked)
	return longToken().ReplaceAllStringFunc(s, func(m string) string {
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
