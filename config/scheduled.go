package config

import (
	"github.com/omdeploy/omdeploy/internal/lazyre"
	"gopkg.in/yaml.v3"
)

// ScheduledRule is an EventBridge rule whose ECS targets run the service's
// task-definition family (a cron job, a queue drainer): after a deploy its
// targets are moved to the new revision, so a scheduled task does not keep
// running the old code, and back on a rollback.
type ScheduledRule struct {
	Rule     string
	EventBus string // a bus name or ARN; "" is the account's default bus
	Line     int    // where the entry is, for messages
}

// The shapes EventBridge accepts for a rule name and an event bus name or
// ARN.
var (
	ruleShape     = lazyre.New(`^[.\-_A-Za-z0-9]{1,64}$`)
	eventBusShape = lazyre.New(`^(arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus/)?[/.\-_A-Za-z0-9]{1,256}$`)
)

// scheduled parses `scheduled:`: rule names, or {rule, event_bus} for a
// rule on another bus.
func (p *parser) scheduled(n *yaml.Node) ([]ScheduledRule, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "scheduled: expected a list of EventBridge rule names, got %s", kindName(n))
	}
	var out []ScheduledRule
	seen := map[[2]string]int{}
	for _, item := range n.Content {
		r := ScheduledRule{Line: item.Line}
		if item.Kind == yaml.MappingNode {
			got, err := p.fields(item, "a scheduled rule", map[string]func(*yaml.Node) error{
				"rule":      p.shapedInto(&r.Rule, "rule", ruleShape, "an EventBridge rule name (1 to 64 letters, digits, . - _)"),
				"event_bus": p.shapedInto(&r.EventBus, "event_bus", eventBusShape, "an EventBridge event bus name or ARN"),
			})
			if err != nil {
				return nil, err
			}
			if !got["rule"] {
				return nil, p.errorf(item, "a scheduled rule: missing required key %q", "rule")
			}
		} else if err := p.shapedInto(&r.Rule, "scheduled", ruleShape, "an EventBridge rule name (1 to 64 letters, digits, . - _)")(item); err != nil {
			return nil, err
		}
		key := [2]string{r.EventBus, r.Rule}
		if prev, dup := seen[key]; dup {
			return nil, p.errorf(item, "scheduled: rule %s is listed twice (first on line %d)", p.show(r.Rule), prev)
		}
		seen[key] = r.Line
		out = append(out, r)
	}
	return out, nil
}
