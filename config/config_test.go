package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadFull(t *testing.T) {
	f, err := Load("testdata/full.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Path:          "testdata/full.yaml",
		Region:        "us-east-1",
		AccountID:     "123456789012",
		Secrets:       []string{".secrets/", "config/private/"},
		SSMParameters: []string{"/omneuro/prod/db-url"},
		IAMActions:    []string{"s3:GetObject"},
		Services: []Service{
			{
				Name: "tech-gateway", Cluster: "omneuro-prod", Service: "tech-gateway", Container: "app",
				WaitTimeout: 10 * time.Minute, Line: 9,
				Health: &Health{
					BaseURL: "https://tech.example.com",
					Endpoints: []Endpoint{
						{Path: "/healthz"},
						{Path: "/api/tech/health", ExpectStatus: []int{200, 204}, ExpectBody: "ok"},
					},
					Timeout: 90 * time.Second,
				},
			},
			{Name: "worker", Cluster: "omneuro-prod", Service: "worker", WaitTimeout: DefaultWaitTimeout, Line: 22},
		},
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("Load =\n%+v\nwant\n%+v", f, want)
	}
}

func TestDefaults(t *testing.T) {
	f, err := Parse("c.yaml", []byte("services:\n  - {cluster: c, service: s, health: {base_url: 'http://x', endpoints: [/h]}}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Secrets; !reflect.DeepEqual(got, []string{".secrets/"}) {
		t.Errorf("Secrets = %v", got)
	}
	s := f.Services[0]
	if s.Name != "s" || s.WaitTimeout != 15*time.Minute || s.Health.Timeout != 2*time.Minute {
		t.Errorf("defaults not applied: %+v %+v", s, s.Health)
	}
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name string
		val  string
		env  map[string]string
		want string
	}{
		{"set", "${C}", map[string]string{"C": "prod"}, "prod"},
		{"default when unset", "${C:-dev}", nil, "dev"},
		{"default when empty", "${C:-dev}", map[string]string{"C": ""}, "dev"},
		{"set wins over default", "${C:-dev}", map[string]string{"C": "prod"}, "prod"},
		{"inside text", "omneuro-${STAGE}-x", map[string]string{"STAGE": "qa"}, "omneuro-qa-x"},
		{"dollar escape", "a$$b", nil, "a$b"},
		{"lone dollar", "a$b", nil, "a$b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("c.yaml", []byte("services:\n  - name: \""+tt.val+"\"\n    cluster: c\n    service: s\n"), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Services[0].Name; got != tt.want {
				t.Fatalf("name = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPinDigest: the top-level pin_digest is the default of the services
// that say nothing; a service's own, false included, wins.
func TestPinDigest(t *testing.T) {
	tests := []struct {
		name string
		top  string // the top-level line, "" for none
		want []bool // services a (says nothing), b (false), c (true)
	}{
		{name: "no top-level: only the service that asks pins", want: []bool{false, false, true}},
		{name: "top-level true: all but the one that opts out", top: "pin_digest: true\n", want: []bool{true, false, true}},
		{name: "top-level false", top: "pin_digest: false\n", want: []bool{false, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.top + "services:\n  - {cluster: c, service: a}\n  - {cluster: c, service: b, pin_digest: false}\n  - {cluster: c, service: c, pin_digest: true}\n"
			f, err := Parse("c.yaml", []byte(src), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				if got := f.Services[i].PinDigest; got != want {
					t.Errorf("service %s pin_digest = %v, want %v", f.Services[i].Name, got, want)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		pos  string // FILE:LINE:COL prefix
		msg  string // substring
	}{
		{"unknown key", "services:\n  - cluster: c\n    service: s\n    clustr: x\n", "c.yaml:4:5:", `unknown key "clustr"`},
		{"unknown top key", "regoin: x\nservices: []\n", "c.yaml:1:1:", `unknown key "regoin"`},
		{"wrong type list", "services: tech\n", "c.yaml:1:11:", "expected a list of services"},
		{"wrong type string", "services:\n  - cluster: [a]\n    service: s\n", "c.yaml:2:14:", "cluster: expected a string"},
		{"missing cluster", "services:\n  - service: s\n", "c.yaml:2:5:", `missing required key "cluster"`},
		{"no services", "region: us-east-1\n", "c.yaml:1:1:", "at least one service"},
		{"unset var", "services:\n  - cluster: ${OMD_NOPE}\n    service: s\n", "c.yaml:2:14:", "OMD_NOPE is not set"},
		{"bad duration", "services:\n  - cluster: c\n    service: s\n    wait_timeout: 15 minutes\n", "c.yaml:4:19:", "not a positive duration"},
		{"negative duration", "services:\n  - cluster: c\n    service: s\n    wait_timeout: -1m\n", "c.yaml:4:19:", "not a positive duration"},
		{"bad url", "services:\n  - cluster: c\n    service: s\n    health: {base_url: tech.example.com, endpoints: [/h]}\n", "c.yaml:4:24:", "not an absolute http(s) URL"},
		{"path without slash", "services:\n  - cluster: c\n    service: s\n    health: {base_url: 'http://x', endpoints: [healthz]}\n", "c.yaml:4:48:", "starting with /"},
		{"bad status", "services:\n  - cluster: c\n    service: s\n    health:\n      base_url: http://x\n      endpoints: [{path: /h, expect_status: [2000]}]\n", "c.yaml:6:46:", "not an HTTP status code"},
		{"bad account", "account_id: 1234\nservices: [{cluster: c, service: s}]\n", "c.yaml:1:13:", "12-digit"},
		{"duplicate names", "services:\n  - {cluster: c, service: s}\n  - {cluster: d, service: s}\n", "c.yaml:3:5:", "used twice"},
		{"duplicate key", "region: us-east-1\nregion: eu-west-1\nservices: [{cluster: c, service: s}]\n", "c.yaml:2:1:", "duplicate key"},
		{"bad version", "version: 2\nservices: [{cluster: c, service: s}]\n", "c.yaml:1:10:", "unsupported config version"},
		{"syntax", "services:\n\t- cluster: c\n", "c.yaml:2:1:", "invalid YAML"},
		{"empty", "", "c.yaml:1:1:", "config is empty"},
		{"pin_digest not a bool", "pin_digest: yes-please\nservices: [{cluster: c, service: s}]\n", "c.yaml:1:13:", "pin_digest: expected true or false"},
		{"service pin_digest quoted", "services:\n  - {cluster: c, service: s, pin_digest: 'true'}\n", "c.yaml:2:42:", "pin_digest: expected true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), env(nil))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *config.Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.pos) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %q, want prefix %q containing %q", err, tt.pos, tt.msg)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "omdeploy init") {
		t.Fatalf("err = %v, want a hint to create one", err)
	}
}

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "o.yaml")
	if err := os.WriteFile(p, []byte("services:\n  - {name: a, cluster: c, service: svc-a}\n  - {cluster: c, service: b}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr bool
	}{
		{"all by default", nil, []string{"a", "b"}, false},
		{"by label", []string{"a"}, []string{"a"}, false},
		{"by ecs name", []string{"svc-a"}, []string{"a"}, false},
		{"unknown", []string{"zzz"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Select(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Fatalf("Select = %v, want %v", names, tt.want)
			}
		})
	}
}

// TestSyntaxErrorPositions covers the YAML errors yaml.v3 reports without
// a line: each still points at one.
func TestSyntaxErrorPositions(t *testing.T) {
	for in, want := range map[string]string{
		`"`:                        "f.yaml:1:1: invalid YAML: found unexpected end of stream",
		"a: 1\nb: c\x01\n":         "f.yaml:2:5: invalid YAML: control characters are not allowed",
		"a: 1\nb: \xff\n":          "f.yaml:2:4: invalid YAML: invalid leading UTF-8 octet",
		"services: []\nb: *nope\n": "f.yaml:2:4: invalid YAML: unknown anchor 'nope' referenced",
	} {
		_, err := Parse("f.yaml", []byte(in), env(nil))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %s", in, err, want)
		}
	}
}
