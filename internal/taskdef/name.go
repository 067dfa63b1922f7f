package taskdef

import (
	"strconv"
	"strings"
)

// ParseRevision splits "arn:...:task-definition/family:rev" or
// "family:rev"; ok is false for a bare family, which names whatever
// revision is newest and so changes when one is registered.
func ParseRevision(s string) (family string, rev int, ok bool) {
	s = s[strings.LastIndex(s, "/")+1:]
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return "", 0, false
	}
	rev, err := strconv.Atoi(s[i+1:])
	if err != nil || rev <= 0 {
		return "", 0, false
	}
	return s[:i], rev, true
}
