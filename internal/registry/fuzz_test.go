package registry

import (
	"strings"
	"testing"
)

// FuzzParseManifest feeds registry answers to the manifest and config
// parsers: no panic; an index never yields a config digest, a single
// manifest always does, and no listed platform is empty or "unknown".
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{indexBody, singleBody, configBody, `{}`, `{"manifests":null}`, `[]`, `{"mediaType":"x"}`} {
		f.Add("", s)
		f.Add(MediaOCIIndex, s)
	}
	f.Fuzz(func(t *testing.T, mediaType, body string) {
		if p, err := ParseConfig([]byte(body)); err == nil && (p.OS == "" || p.Architecture == "") {
			t.Fatalf("ParseConfig(%q) = %+v without error", body, p)
		}
		m, err := ParseManifest(mediaType, []byte(body))
		if err != nil {
			return
		}
		if m.IsIndex() == (m.Config != "") {
			t.Fatalf("ParseManifest(%q, %q) = %+v: index %v with config %q", mediaType, body, m, m.IsIndex(), m.Config)
		}
		for _, p := range m.Platforms {
			if p.OS == "" || p.OS == "unknown" || strings.Count(p.String(), "/") < 1 {
				t.Fatalf("ParseManifest(%q, %q) lists platform %+v", mediaType, body, p)
			}
		}
	})
}
