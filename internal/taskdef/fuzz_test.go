package taskdef

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics, and what it accepts Marshal writes in a
// form Parse reads back to the same bytes.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"web.json", "web.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"containerDefinitions": [{"name": "a", "essential": false, "cpu": 0}]}`))
	lookup := func(string) (string, bool) { return "x", true }
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse("fuzz.json", data, lookup)
		if err != nil {
			return
		}
		first, err := Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("fuzz.json", first, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("Parse of Marshal's output: %v\n%s", err, first)
		}
		second, err := Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not stable:\n%s\n%s", first, second)
		}
	})
}
