package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReleaseTasks(t *testing.T) {
	const src = `services:
  - cluster: c
    service: s
    container: app
    release:
      - name: migrate
        command: [bin/migrate, up]
        environment:
          DB_URL: ${DB_URL}
          MODE: strict
        timeout: 20m
      - name: seed
        container: tools
        task_definition: tools:3
        capacity_provider: FARGATE_SPOT
        network_configuration:
          subnets: [subnet-1, subnet-2]
          security_groups: [sg-1]
          assign_public_ip: true
    post_deploy:
      - name: smoke
        launch_type: FARGATE
`
	f, err := Parse("c.yaml", []byte(src), env(map[string]string{"DB_URL": "postgres://u:hunter2@db/app"}))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Services[0]
	if len(s.Release) != 2 || len(s.PostDeploy) != 1 {
		t.Fatalf("release %d, post_deploy %d tasks; want 2 and 1", len(s.Release), len(s.PostDeploy))
	}
	m := s.Release[0]
	wantEnv := []EnvVar{{"DB_URL", "postgres://u:hunter2@db/app"}, {"MODE", "strict"}}
	if m.Name != "migrate" || !slices.Equal(m.Command, []string{"bin/migrate", "up"}) || !slices.Equal(m.Environment, wantEnv) ||
		m.Timeout != 20*time.Minute || m.Container != "" || m.TaskDefinition != "" || m.Network != nil || m.Line != 6 {
		t.Errorf("migrate = %+v", m)
	}
	seed := s.Release[1]
	if seed.Container != "tools" || seed.TaskDefinition != "tools:3" || seed.CapacityProvider != "FARGATE_SPOT" ||
		seed.Network == nil || !slices.Equal(seed.Network.Subnets, []string{"subnet-1", "subnet-2"}) ||
		!slices.Equal(seed.Network.SecurityGroups, []string{"sg-1"}) || !seed.Network.AssignPublicIP || seed.Timeout != DefaultTaskTimeout {
		t.Errorf("seed = %+v (network %+v)", seed, seed.Network)
	}
	if smoke := s.PostDeploy[0]; smoke.Name != "smoke" || smoke.LaunchType != "FARGATE" || smoke.Command != nil {
		t.Errorf("smoke = %+v", smoke)
	}
}

func TestReleaseTaskErrors(t *testing.T) {
	const head = "services:\n  - cluster: c\n    service: s\n    release:\n"
	tests := []struct {
		name string
		yaml string
		pos  string // FILE:LINE:COL prefix
		msg  string // substring
	}{
		{"not a list", "services:\n  - cluster: c\n    service: s\n    release: migrate\n", "c.yaml:4:14:", "release: expected a list of tasks"},
		{"no name", head + "      - command: [up]\n", "c.yaml:5:9:", `a release task: missing required key "name"`},
		{"bad name", head + "      - name: db migrate\n", "c.yaml:5:15:", `name: "db migrate" is not a task name`},
		{"unknown key", head + "      - name: m\n        cmd: [up]\n", "c.yaml:6:9:", `unknown key "cmd" in a release task`},
		{"duplicate name", head + "      - name: m\n      - name: m\n", "c.yaml:6:9:", `task name "m" is used twice (first on line 5)`},
		{"command not a list", head + "      - name: m\n        command: up\n", "c.yaml:6:18:", "command: expected a list of strings"},
		{"empty command", head + "      - name: m\n        command: []\n", "c.yaml:5:9:", "command: must not be empty"},
		{"bad timeout", head + "      - name: m\n        timeout: soon\n", "c.yaml:6:18:", `timeout: "soon" is not a positive duration`},
		{"bad launch type", head + "      - name: m\n        launch_type: LAMBDA\n", "c.yaml:6:22:", `"LAMBDA" is not a launch type`},
		{"both placements", head + "      - name: m\n        launch_type: EC2\n        capacity_provider: spot\n", "c.yaml:5:9:", "launch_type or capacity_provider, not both"},
		{"no subnets", head + "      - name: m\n        network_configuration: {security_groups: [sg-1]}\n", "c.yaml:6:32:", "at least one subnet"},
		{"public ip not bool", head + "      - name: m\n        network_configuration: {subnets: [a], assign_public_ip: 'yes'}\n", "c.yaml:6:65:", "assign_public_ip: expected true or false"},
		{"post_deploy named", "services:\n  - cluster: c\n    service: s\n    post_deploy:\n      - {}\n", "c.yaml:5:9:", `a post_deploy task: missing required key "name"`},
		{"bad env name", head + "      - name: m\n        environment: {1X: a}\n", "c.yaml:6:23:", `"1X" is not a variable name`},
		{"unset env var", head + "      - name: m\n        environment: {A: '${NOPE}'}\n", "c.yaml:6:26:", "environment variable NOPE is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), env(nil))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if !strings.HasPrefix(err.Error(), tt.pos) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %q, want prefix %q and %q", err, tt.pos, tt.msg)
			}
		})
	}
}

// TestReleaseEnvironmentValuesAreNeverEchoed: environment values may be
// secrets, so no message about them may contain the value's text.
func TestReleaseEnvironmentValuesAreNeverEchoed(t *testing.T) {
	const head = "services:\n  - cluster: c\n    service: s\n    release:\n      - name: m\n        environment:\n"
	tests := []struct{ name, value string }{
		{"unterminated reference", "'hunter2${'"},
		{"invalid variable name", "'hunter2${1BAD}'"},
		{"not a scalar", "[hunter2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(head+"          PASSWORD: "+tt.value+"\n"), env(nil))
			if err == nil {
				t.Fatal("parsed; want an error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error echoes the value: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "c.yaml:7:") || !strings.Contains(err.Error(), "PASSWORD") {
				t.Fatalf("err = %v, want a position on line 7 naming PASSWORD", err)
			}
		})
	}
}
