package config

import (
	"slices"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/internal/lazyre"
	"gopkg.in/yaml.v3"
)

// DefaultTaskTimeout bounds one release or post_deploy task when its
// `timeout:` is not set: long enough for a large migration, short enough
// that a task stuck on a lock does not hold the deploy for an hour.
const DefaultTaskTimeout = 10 * time.Minute

// The launch types a task may name; "" is the service's own.
var taskLaunchTypes = []string{"FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES"}

// taskName is what ECS accepts in startedBy and what reads well in a log
// prefix.
var taskName = lazyre.New(`^[A-Za-z0-9_-]{1,64}$`)

// Task is a one-off ECS task a service runs around its deploy: a release
// task (`release:`) after the new revision is registered and before
// UpdateService, such as a database migration; a post_deploy task after
// health verification, such as a smoke test. Every essential container
// must exit 0 for the deploy to go on.
type Task struct {
	Name string
	// Container is the one Command and Environment apply to; "" means the
	// service's container (Service.Container, else the task definition's
	// only container).
	Container string
	Command   []string // nil: the container's own command
	// Environment adds variables to Container. Values were expanded from
	// ${VAR} and may hold secrets: they are never printed.
	Environment []EnvVar
	// TaskDefinition is an ARN, "family:revision" or "family"; "" means
	// the revision this deploy registered.
	TaskDefinition string
	// LaunchType or CapacityProvider (at most one) place the task; both
	// "" means as the service's tasks are placed.
	LaunchType       string
	CapacityProvider string
	// Network is the task's awsvpc configuration; nil means the service's
	// own, read from DescribeServices.
	Network *Network
	Timeout time.Duration // DefaultTaskTimeout unless set
	Line    int           // where the entry starts, for messages
}

// EnvVar is one environment variable of a Task, in file order so that the
// RunTask input is the same on every run.
type EnvVar struct {
	Name, Value string
}

// Network is an awsvpc network configuration.
type Network struct {
	Subnets        []string
	SecurityGroups []string
	AssignPublicIP bool
}

// tasks parses the list under `release:` or `post_deploy:` (key).
func (p *parser) tasks(n *yaml.Node, key string) ([]Task, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "%s: expected a list of tasks, got %s", key, kindName(n))
	}
	var out []Task
	names := map[string]int{}
	for _, item := range n.Content {
		t, err := p.task(item, key)
		if err != nil {
			return nil, err
		}
		if prev, dup := names[t.Name]; dup {
			return nil, p.errorf(item, "%s: task name %q is used twice (first on line %d)", key, t.Name, prev)
		}
		names[t.Name] = t.Line
		out = append(out, t)
	}
	return out, nil
}

func (p *parser) task(n *yaml.Node, key string) (Task, error) {
	t := Task{Line: n.Line, Timeout: DefaultTaskTimeout}
	what := "a " + key + " task"
	seen, err := p.fields(n, what, map[string]func(*yaml.Node) error{
		"name": func(v *yaml.Node) error {
			s, err := p.str(v, "name")
			if err != nil {
				return err
			}
			if !taskName().MatchString(s) {
				return p.errorf(v, "name: %q is not a task name; expected 1 to 64 letters, digits, - or _, e.g. migrate", s)
			}
			t.Name = s
			return nil
		},
		"container":       p.strInto(&t.Container, "container"),
		"command":         p.strListInto(&t.Command, "command", nil, ""),
		"environment":     p.environmentInto(&t.Environment),
		"task_definition": p.strInto(&t.TaskDefinition, "task_definition"),
		"timeout":         p.durationInto(&t.Timeout, "timeout"),
		"launch_type": func(v *yaml.Node) error {
			s, err := p.str(v, "launch_type")
			if err != nil {
				return err
			}
			if !slices.Contains(taskLaunchTypes, s) {
				return p.errorf(v, "launch_type: %q is not a launch type; expected one of %s", s, strings.Join(taskLaunchTypes, ", "))
			}
			t.LaunchType = s
			return nil
		},
		"capacity_provider": p.strInto(&t.CapacityProvider, "capacity_provider"),
		"network_configuration": func(v *yaml.Node) error {
			nw, err := p.network(v)
			t.Network = nw
			return err
		},
	})
	if err != nil {
		return t, err
	}
	if !seen["name"] {
		return t, p.errorf(n, "%s: missing required key \"name\"", what)
	}
	if seen["command"] && len(t.Command) == 0 {
		return t, p.errorf(n, "%s %s: command: must not be empty; leave it out to run the container's own command", key, t.Name)
	}
	if t.LaunchType != "" && t.CapacityProvider != "" {
		return t, p.errorf(n, "%s %s: give launch_type or capacity_provider, not both", key, t.Name)
	}
	return t, nil
}

// environmentInto reads a mapping of variable names to values. A value's
// own text is never put in a message: it may be, or hold, a secret.
func (p *parser) environmentInto(dst *[]EnvVar) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.MappingNode {
			return p.errorf(n, "environment: expected a mapping of NAME: value, got %s", kindName(n))
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || !validVarName(k.Value) {
				return p.errorf(k, "environment: %q is not a variable name; expected letters, digits and _, not starting with a digit", k.Value)
			}
			if seen[k.Value] {
				return p.errorf(k, "environment: duplicate variable %q", k.Value)
			}
			seen[k.Value] = true
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				return p.errorf(v, "environment %s: expected a string value, got %s", k.Value, kindNameHidden(v))
			}
			val, err := expand(v.Value, p.lookup)
			if err != nil {
				return p.errorf(v, "environment %s: %s", k.Value, hiddenExpandError(err))
			}
			*dst = append(*dst, EnvVar{Name: k.Value, Value: val})
		}
		return nil
	}
}

// hiddenExpandError keeps what expand says about an unset variable (a
// name, not a value) and replaces the messages that quote the raw value.
func hiddenExpandError(err error) string {
	if msg := err.Error(); strings.HasPrefix(msg, "environment variable ") {
		return msg
	}
	return "invalid ${...} in the value (an unterminated ${ or an invalid variable name); the value is not shown because it may hold a secret"
}

// kindNameHidden is kindName without a scalar's text.
func kindNameHidden(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return "a scalar"
	}
	return kindName(n)
}

func (p *parser) network(n *yaml.Node) (*Network, error) {
	nw := &Network{}
	seen, err := p.fields(n, "network_configuration", map[string]func(*yaml.Node) error{
		"subnets":          p.strListInto(&nw.Subnets, "subnets", nil, ""),
		"security_groups":  p.strListInto(&nw.SecurityGroups, "security_groups", nil, ""),
		"assign_public_ip": p.boolInto(&nw.AssignPublicIP, "assign_public_ip"),
	})
	if err != nil {
		return nil, err
	}
	if !seen["subnets"] || len(nw.Subnets) == 0 {
		return nil, p.errorf(n, "network_configuration: at least one subnet is required, e.g. subnets: [subnet-0abc]")
	}
	return nw, nil
}
