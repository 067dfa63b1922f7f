package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// secret is an environment value that must never reach a message.
const secret = "postgres://admin:hunter2@db.internal/prod"

// TestRefused covers inputs that were once accepted, or refused without a
// usable position (issue 11): each is an *Error at the position of the
// problem, and none repeats a value that came from the environment.
func TestRefused(t *testing.T) {
	long := strings.Repeat("a", 256)
	tests := []struct {
		name   string
		yaml   string
		env    map[string]string
		pos    string // FILE:LINE:COL prefix
		msg    string // substring
		hidden string // must not appear in the message
	}{
		// YAML syntax: the line where the parser gave up, not yaml.v3's
		// "line 1" of the enclosing block.
		{name: "under-indented key on line 3", yaml: "services:\n  - cluster: c\n   service: s\n", pos: "c.yaml:3:4:", msg: "invalid YAML: did not find expected '-' indicator"},
		{name: "key out of its mapping on line 3", yaml: "services:\n  - cluster: c\n service: s\n", pos: "c.yaml:3:2:", msg: "invalid YAML: did not find expected key"},
		{name: "dedented key on line 4", yaml: "services:\n  - cluster: c\n    service: s\n  wait: 1\n", pos: "c.yaml:4:3:", msg: "invalid YAML"},
		{name: "unclosed flow list", yaml: "services: [a,\n  b\nregion: x\n", pos: "c.yaml:2:3:", msg: "did not find expected ',' or ']'"},

		// Binary garbage: the first byte YAML does not allow.
		{name: "binary from the start", yaml: "\x00\x01\x02\xff", pos: "c.yaml:1:1:", msg: "control characters are not allowed"},
		{name: "png header", yaml: "\x89PNG\r\n\x1a\n\x00\x00", pos: "c.yaml:1:1:", msg: "invalid leading UTF-8 octet"},
		{name: "nul mid-file", yaml: "region: us-east-1\nservices: \x00\n", pos: "c.yaml:2:11:", msg: "control characters are not allowed"},
		{name: "elf header on line 3", yaml: "services:\n  - cluster: c\n\x7fELF\x02\n", pos: "c.yaml:3:1:", msg: "control characters are not allowed"},

		// One document only.
		{name: "second document", yaml: "services: [{cluster: c, service: s}]\n---\nservices: [{cluster: d, service: t}]\n", pos: "c.yaml:2:1:", msg: "a second YAML document starts here"},
		{name: "second document after an end marker", yaml: "services: [{cluster: c, service: s}]\n...\n# next\n---\nregion: us-east-1\n", pos: "c.yaml:4:1:", msg: "a second YAML document"},
		{name: "empty second document", yaml: "services: [{cluster: c, service: s}]\n---\n", pos: "c.yaml:2:1:", msg: "a second YAML document"},

		// Tags, anchors and aliases.
		{name: "env tag", yaml: "region: !env AWS_REGION\nservices: [{cluster: c, service: s}]\n", pos: "c.yaml:1:9:", msg: "tag !env is not supported"},
		{name: "binary tag", yaml: "services:\n  - cluster: !!binary Y2x1c3Rlcg==\n    service: s\n", pos: "c.yaml:2:14:", msg: "tag !!binary is not supported"},
		{name: "int tag", yaml: "version: !!int 1\nservices: [{cluster: c, service: s}]\n", pos: "c.yaml:1:10:", msg: "tag !!int is not supported"},
		{name: "tag on an unknown key's value", yaml: "services: [{cluster: c, service: s}]\nx: !!python/object:os.system rm\n", pos: "c.yaml:2:4:", msg: "tag !!python/object:os.system is not supported"},
		{name: "anchor and alias", yaml: "services:\n  - &web {cluster: c, service: s}\n  - *web\n", pos: "c.yaml:2:5:", msg: "anchor &web: anchors and aliases are not supported"},
		{name: "billion laughs", yaml: "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nservices: *d\n", pos: "c.yaml:1:4:", msg: "anchor &a"},

		// ${VAR}
		{name: "nested default", yaml: "services:\n  - cluster: ${A:-${B}}\n    service: s\n", pos: "c.yaml:2:14:", msg: "the default of ${A} contains \"$\" in \"${A:-${B}}\": nested variables are not supported"},
		{name: "dollar-dollar in a default", yaml: "services:\n  - cluster: ${A:-x$$}\n    service: s\n", pos: "c.yaml:2:14:", msg: "nested variables are not supported"},

		// Characters that do not display as themselves.
		{name: "nul escape in cluster", yaml: "services:\n  - cluster: \"prod\\0x\"\n    service: s\n", pos: "c.yaml:2:14:", msg: "cluster: character 5 is U+0000, a control character"},
		{name: "right-to-left override in name", yaml: "services:\n  - name: \"web\\u202Egpj.exe\"\n    cluster: c\n    service: s\n", pos: "c.yaml:2:11:", msg: "name: character 4 is U+202E, a bidirectional control character"},
		{name: "raw right-to-left override in service", yaml: "services:\n  - cluster: c\n    service: ab\u202ecd\n", pos: "c.yaml:3:14:", msg: "service: character 3 is U+202E"},
		{name: "isolate in container", yaml: "services:\n  - cluster: c\n    service: s\n    container: \"a\\u2066b\"\n", pos: "c.yaml:4:16:", msg: "container: character 2 is U+2066"},
		{name: "embedding in cluster", yaml: "services:\n  - cluster: \"\\u202Ac\"\n    service: s\n", pos: "c.yaml:2:14:", msg: "cluster: character 1 is U+202A"},
		{name: "c1 control in a parameter name", yaml: "ssm_parameters: [\"/app/\\x85db\"]\nservices: [{cluster: c, service: s}]\n", pos: "c.yaml:1:18:", msg: "ssm_parameters: character 6 is U+0085, a control character"},
		{name: "tab in cluster", yaml: "services:\n  - cluster: \"a\\tb\"\n    service: s\n", pos: "c.yaml:2:14:", msg: "cluster: character 2 is U+0009"},
		{name: "override from the environment", yaml: "services:\n  - cluster: ${C}\n    service: s\n", env: map[string]string{"C": "hunter2\u202e"}, pos: "c.yaml:2:14:", msg: `cluster: character 8 (after expanding "${C}") is U+202E`, hidden: "hunter2"},

		// AWS name shapes.
		{name: "region with a command", yaml: "region: us east 1; rm -rf /\nservices: [{cluster: c, service: s}]\n", pos: "c.yaml:1:9:", msg: `region: "us east 1; rm -rf /" is not an AWS region`},
		{name: "region in capitals", yaml: "region: US-EAST-1\nservices: [{cluster: c, service: s}]\n", pos: "c.yaml:1:9:", msg: "is not an AWS region"},
		{name: "cluster with a space", yaml: "services:\n  - cluster: my cluster\n    service: s\n", pos: "c.yaml:2:14:", msg: `cluster: "my cluster" is not an ECS cluster name`},
		{name: "cluster of 256 characters", yaml: "services:\n  - cluster: " + long + "\n    service: s\n", pos: "c.yaml:2:14:", msg: "up to 255"},
		{name: "cluster ARN with a short account", yaml: "services:\n  - cluster: arn:aws:ecs:us-east-1:123:cluster/c\n    service: s\n", pos: "c.yaml:2:14:", msg: "or cluster ARN"},
		{name: "service ARN given as cluster", yaml: "services:\n  - cluster: arn:aws:ecs:us-east-1:123456789012:service/c/s\n    service: s\n", pos: "c.yaml:2:14:", msg: "is not an ECS cluster name"},
		{name: "service with a slash", yaml: "services:\n  - cluster: c\n    service: a/b\n", pos: "c.yaml:3:14:", msg: `service: "a/b" is not an ECS service name`},
		{name: "container with a dot", yaml: "services:\n  - cluster: c\n    service: s\n    container: app.v2\n", pos: "c.yaml:4:16:", msg: "is not a container name"},
		{name: "parameter with a space", yaml: "ssm_parameters:\n  - /app/db url\nservices: [{cluster: c, service: s}]\n", pos: "c.yaml:2:5:", msg: `ssm_parameters: "/app/db url" is not an SSM parameter name`},

		// A value from the environment is named, never shown.
		{name: "secret as cluster", yaml: "services:\n  - cluster: ${DB_URL}\n    service: s\n", env: map[string]string{"DB_URL": secret}, pos: "c.yaml:2:14:", msg: `cluster: "${DB_URL}" (value from the environment not shown) is not an ECS cluster name`, hidden: "hunter2"},
		{name: "secret inside text", yaml: "region: eu-${DB_URL}-1\nservices: [{cluster: c, service: s}]\n", env: map[string]string{"DB_URL": secret}, pos: "c.yaml:1:9:", msg: `region: "eu-${DB_URL}-1" (value from the environment not shown)`, hidden: "hunter2"},
		{name: "secret as duration", yaml: "services:\n  - cluster: c\n    service: s\n    wait_timeout: ${DB_URL}\n", env: map[string]string{"DB_URL": secret}, pos: "c.yaml:4:19:", msg: `"${DB_URL}" (value from the environment not shown) is not a positive duration`, hidden: "hunter2"},
		{name: "secret as account", yaml: "account_id: ${DB_URL}\nservices: [{cluster: c, service: s}]\n", env: map[string]string{"DB_URL": secret}, pos: "c.yaml:1:13:", msg: `"${DB_URL}" (value from the environment not shown) is not a 12-digit`, hidden: "hunter2"},
		{name: "secret as base url", yaml: "services:\n  - cluster: c\n    service: s\n    health: {base_url: '${DB_URL}', endpoints: [/h]}\n", env: map[string]string{"DB_URL": "ftp://hunter2"}, pos: "c.yaml:4:24:", msg: `"${DB_URL}" (value from the environment not shown) is not an absolute`, hidden: "hunter2"},
		{name: "secret as endpoint", yaml: "services:\n  - cluster: c\n    service: s\n    health: {base_url: 'http://x', endpoints: ['${DB_URL}']}\n", env: map[string]string{"DB_URL": secret}, pos: "c.yaml:4:48:", msg: `endpoint "${DB_URL}" (value from the environment not shown)`, hidden: "hunter2"},
		{name: "secret as duplicated name", yaml: "services:\n  - {name: '${TOKEN}', cluster: c, service: s}\n  - {name: '${TOKEN}', cluster: d, service: s}\n", env: map[string]string{"TOKEN": "hunter2"}, pos: "c.yaml:3:5:", msg: `service name "${TOKEN}" (value from the environment not shown) is used twice`, hidden: "hunter2"},

		// One entry per ECS service.
		{name: "same cluster and service twice", yaml: "services:\n  - {name: a, cluster: c, service: s}\n  - {name: b, cluster: c, service: s}\n", pos: "c.yaml:3:5:", msg: `service "b" deploys the same ECS service as "a" on line 2 (cluster "c", service "s")`},
		{name: "same service by name and by ARN", yaml: "services:\n  - name: a\n    cluster: c\n    service: s\n  - name: b\n    cluster: arn:aws:ecs:us-east-1:123456789012:cluster/c\n    service: arn:aws:ecs:us-east-1:123456789012:service/c/s\n", pos: "c.yaml:5:5:", msg: `the same ECS service as "a" on line 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), env(tt.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *config.Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.pos) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %q, want prefix %q containing %q", err, tt.pos, tt.msg)
			}
			if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
				t.Fatalf("err = %q shows %q, a value from the environment", err, tt.hidden)
			}
		})
	}
}

// TestAcceptedShapes keeps the shape checks from refusing what AWS takes.
func TestAcceptedShapes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
	}{
		{"commercial region", "region: ap-southeast-2\n"},
		{"govcloud region", "region: us-gov-west-1\n"},
		{"iso region", "region: us-isob-east-1\n"},
		{"china region", "region: cn-north-1\n"},
		{"explicit str tag", "account_id: !!str 012345678901\n"},
		{"ssm name and arns", "ssm_parameters: [db-url, /app/prod/db.url, 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/db', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf']\n"},
		{"cluster arn", "services: [{cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod_1', service: s}]\n"},
		{"service arn with cluster", "services: [{cluster: prod, service: 'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:service/prod/web-1'}]\n"},
		{"service arn without cluster", "services: [{cluster: prod, service: 'arn:aws:ecs:us-east-1:123456789012:service/web'}]\n"},
		{"longest names", "services: [{cluster: " + strings.Repeat("c", 255) + ", service: " + strings.Repeat("s", 255) + ", container: " + strings.Repeat("k", 255) + "}]\n"},
		{"unicode label", "services: [{name: café-api, cluster: c, service: s}]\n"},
		{"same service in two clusters", "services: [{name: a, cluster: c1, service: s}, {name: b, cluster: c2, service: s}]\n"},
		{"one document with markers", "---\nservices: [{cluster: c, service: s}]\n...\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.yaml
			if !strings.Contains(in, "services:") {
				in += "services: [{cluster: c, service: s}]\n"
			}
			if _, err := Parse("c.yaml", []byte(in), env(nil)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSizeCap checks that a config over MaxSize is refused with its size:
// by Stat before reading for a file (the 50 MB file here is sparse, and
// only Stat can know its size without reading it), by a limited read for
// what Stat cannot size.
func TestSizeCap(t *testing.T) {
	t.Run("parse", func(t *testing.T) {
		data := []byte("services: [{cluster: c, service: s}]\n# " + strings.Repeat("x", MaxSize) + "\n")
		_, err := Parse("c.yaml", data, env(nil))
		if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:1:1: config is 1048616 bytes; the limit is 1048576 bytes (1 MiB)") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("load a large file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "big.yaml")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(50 << 20); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(p, env(nil))
		want := p + ":1:1: config is 52428800 bytes; the limit is 1048576 bytes (1 MiB)"
		if cfg != nil || err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("Load = %v, %v; want %s", cfg, err, want)
		}
	})
	t.Run("load an endless device", func(t *testing.T) {
		if _, err := os.Stat("/dev/zero"); err != nil {
			t.Skip("no /dev/zero")
		}
		_, err := Load("/dev/zero", env(nil))
		want := "/dev/zero:1:1: config is more than 1048576 bytes"
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("err = %v, want %s", err, want)
		}
	})
	t.Run("exactly the limit", func(t *testing.T) {
		head := "services: [{cluster: c, service: s}]\n#"
		data := []byte(head + strings.Repeat("x", MaxSize-len(head)-1) + "\n")
		if _, err := Parse("c.yaml", data, env(nil)); err != nil {
			t.Fatalf("a config of exactly MaxSize bytes: %v", err)
		}
	})
}

func TestSelectDeduplicates(t *testing.T) {
	f, err := Parse("o.yaml", []byte("services:\n  - {name: a, cluster: c, service: svc-a}\n  - {name: b, cluster: c, service: svc-b}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"same name twice", []string{"a", "a"}, []string{"a"}},
		{"label then ecs name", []string{"a", "svc-a"}, []string{"a"}},
		{"order kept, first wins", []string{"b", "a", "b", "svc-a"}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Select(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Fatalf("Select(%q) = %v, want %v", tt.in, names, tt.want)
			}
		})
	}
}
