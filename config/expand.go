package config

import (
	"fmt"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} from lookup. An unset ${VAR}
// without a default is an error naming it: deploying with an empty cluster
// name is worse than stopping. "$$" is a literal "$".
//
// A default is literal text up to the first "}" and may not contain "$":
// ${A:-${B}} would otherwise read as the default "${B" followed by a stray
// "}", and shells disagree on what nesting means, so it is refused rather
// than given a meaning the user did not intend.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("invalid variable name %q in %q", name, s)
		}
		if strings.Contains(def, "$") {
			return "", fmt.Errorf("the default of ${%s} contains \"$\" in %q: nested variables are not supported; a default is literal text", name, s)
		}
		v, ok := lookup(name)
		switch {
		case ok && (v != "" || !hasDef):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			return "", fmt.Errorf("environment variable %s is not set (use ${%s:-default} for a default)", name, name)
		}
		i += 2 + end
	}
	return b.String(), nil
}

func validVarName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		if r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// Expand is the config file's ${VAR} expansion, for files the config
// points at (a task definition file), so that they follow the same rules.
func Expand(s string, lookup func(string) (string, bool)) (string, error) {
	return expand(s, lookup)
}
