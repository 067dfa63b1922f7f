package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// fuzzEnv is the environment the config fuzz targets expand against: one
// set variable, one set but empty, and one whose value must never appear
// unless the input refers to it.
var fuzzEnv = map[string]string{"CLUSTER": "prod", "EMPTY": "", "UNUSED": "unused-sentinel-4711"}

// FuzzParse feeds arbitrary bytes to the config parser. Whatever the input,
// it returns exactly one of a config and an error; every error is an
// *Error that names the file and a line (Parse has the bytes, so there is
// always a place to point at) and shows no value of the environment the
// input does not spell out itself; and a config it accepts has what the
// rest of omdeploy relies on: AWS-shaped names, no hidden characters, and
// each ECS service once.
func FuzzParse(f *testing.F) {
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add([]byte("services:\n  - cluster: c\n    service: s\n"))
	f.Add([]byte("services:\n  - cluster: ${CLUSTER}\n    service: ${NOPE}\n"))
	f.Add([]byte("services: [{cluster: c, service: s, health: {base_url: 'http://h', endpoints: [/h, {path: /x, expect_status: [200]}]}}]\n"))
	f.Add([]byte("a: &x [1]\nservices: *x\n"))
	f.Add([]byte("services:\n\t- bad\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "omdeploy.yaml"
		cfg, err := Parse(path, data, env(fuzzEnv))
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of a config and an error", cfg, err)
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %q (%T) is not a *config.Error", err, err)
			}
			if ce.File != path || ce.Line <= 0 || ce.Col < 0 {
				t.Fatalf("error %q has no usable position: %+v", err, *ce)
			}
			if want := fmt.Sprintf("%s:%d:", path, ce.Line); !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %q does not start with %q", err, want)
			}
			for name, v := range fuzzEnv {
				if v != "" && strings.Contains(err.Error(), v) && !bytes.Contains(data, []byte(v)) {
					t.Fatalf("error %q shows the value of %s", err, name)
				}
			}
			return
		}
		if cfg.Region != "" && !regionShape().MatchString(cfg.Region) {
			t.Fatalf("accepted region %q", cfg.Region)
		}
		targets := map[[2]string]bool{}
		if len(cfg.Services) == 0 {
			t.Fatal("accepted a config without services")
		}
		for _, s := range cfg.Services {
			if s.Name == "" || s.Cluster == "" || s.Service == "" || s.WaitTimeout <= 0 || s.Line <= 0 {
				t.Fatalf("accepted an incomplete service: %+v", s)
			}
			if !clusterShape().MatchString(s.Cluster) || !serviceShape().MatchString(s.Service) || (s.Container != "" && !containerShape().MatchString(s.Container)) {
				t.Fatalf("accepted a name AWS would refuse: %+v", s)
			}
			if _, _, bad := hiddenChar(s.Name); bad {
				t.Fatalf("accepted a label with a hidden character: %q", s.Name)
			}
			target := [2]string{ecsName(s.Cluster), ecsName(s.Service)}
			if targets[target] {
				t.Fatalf("accepted ECS service %v twice", target)
			}
			targets[target] = true
			if h := s.Health; h != nil && (h.BaseURL == "" || len(h.Endpoints) == 0) {
				t.Fatalf("accepted an incomplete health block: %+v", *h)
			}
		}
	})
}

// FuzzExpand checks ${VAR} expansion on arbitrary strings: no panic; a
// string without "$" comes back unchanged; the value of a variable the
// string does not name never appears in the result; and an unset variable
// without a default is an error that names it.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "${CLUSTER}", "${CLUSTER:-x}", "${EMPTY:-def}", "$$CLUSTER", "${NOPE}",
		"${NOPE:-}", "a${", "${}", "${1A}", "$", "$x", "${CLUSTER}${UNUSED:-z}", "${A:-${B}}"} {
		f.Add(s, "NOPE")
	}
	f.Fuzz(func(t *testing.T, s, unset string) {
		looked := map[string]bool{}
		lookup := func(name string) (string, bool) {
			looked[name] = true
			v, ok := fuzzEnv[name]
			return v, ok
		}
		got, err := expand(s, lookup)
		if !strings.Contains(s, "$") && (got != s || err != nil) {
			t.Fatalf("expand(%q) = %q, %v: want it unchanged", s, got, err)
		}
		if err == nil {
			for name, v := range fuzzEnv {
				if v != "" && !looked[name] && strings.Contains(got, v) && !strings.Contains(s, v) {
					t.Fatalf("expand(%q) = %q holds the value of %s, which it does not name", s, got, name)
				}
			}
		}

		// An unset variable is reported by name, wherever it stands:
		// nothing before it can fail first, since that part has no "$".
		if _, set := fuzzEnv[unset]; set || !validVarName(unset) {
			return
		}
		prefix := strings.ReplaceAll(s, "$", "")
		_, err = expand(prefix+"${"+unset+"}"+s, lookup)
		if err == nil || !strings.Contains(err.Error(), unset) {
			t.Fatalf("expand with unset ${%s} = %v: want an error naming it", unset, err)
		}
	})
}
