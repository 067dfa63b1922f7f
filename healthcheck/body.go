package healthcheck

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// bodyMatches reports whether body contains want. When want is a JSON
// object, a JSON body also matches when it holds those fields with those
// values, whatever the order, spacing or other fields: `{"status":"ok"}`
// matches `{ "version": "1.4", "status": "ok" }`.
func bodyMatches(body []byte, want string) bool {
	if bytes.Contains(body, []byte(want)) {
		return true
	}
	if !strings.HasPrefix(strings.TrimSpace(want), "{") {
		return false
	}
	var w, got any
	if json.Unmarshal([]byte(want), &w) != nil || json.Unmarshal(body, &got) != nil {
		return false
	}
	return subset(w, got)
}

// subset reports whether every field of want is in got with an equal value,
// recursively for objects.
func subset(want, got any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, got)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, wv := range wm {
		gv, ok := gm[k]
		if !ok || !subset(wv, gv) {
			return false
		}
	}
	return true
}
