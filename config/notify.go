package config

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The moments a notification target can be told about (`on:`).
const (
	NotifyStart    = "start"
	NotifySuccess  = "success"
	NotifyFailure  = "failure"
	NotifyRollback = "rollback"
)

// NotifyEvents lists every `on:` value, the default when `on:` is absent.
var NotifyEvents = []string{NotifyStart, NotifySuccess, NotifyFailure, NotifyRollback}

// The kinds of notification target.
const (
	NotifySlack   = "slack"   // a Slack incoming webhook
	NotifyWebhook = "webhook" // any URL that takes omdeploy's JSON payload
)

// NotifyTarget is one entry of `notify:`. URL is a secret (an incoming
// webhook URL authorises whoever holds it to post): it is never printed,
// not even in a config error.
type NotifyTarget struct {
	Kind string // NotifySlack or NotifyWebhook
	URL  string
	On   []string // a subset of NotifyEvents, in file order
	Line int
}

// Wants reports whether the target asked to hear about moment.
func (t NotifyTarget) Wants(moment string) bool { return slices.Contains(t.On, moment) }

// DefaultLockTTL is how long a deploy lock lasts when `lock: true` does not
// say: longer than a normal deploy, short enough that a lease left by a
// killed runner frees itself the same afternoon.
const DefaultLockTTL = 30 * time.Minute

// Lock is a service's deploy lock (`lock: true` or `lock: {ttl: 30m}`):
// while a deploy holds it, another deploy of the same service stops at
// preflight.
type Lock struct {
	TTL time.Duration
}

func (p *parser) notify(n *yaml.Node) ([]NotifyTarget, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "notify: expected a list of targets, e.g. - slack: ${SLACK_WEBHOOK_URL}, got %s", kindName(n))
	}
	var out []NotifyTarget
	for _, item := range n.Content {
		t := NotifyTarget{Line: item.Line}
		urlNode := item
		kinds := 0
		targetURL := func(kind string) func(*yaml.Node) error {
			return func(v *yaml.Node) error {
				kinds++
				t.Kind, urlNode = kind, v
				s, err := p.str(v, kind)
				if err != nil {
					return err
				}
				t.URL = s
				return nil
			}
		}
		seen, err := p.fields(item, "a notify target", map[string]func(*yaml.Node) error{
			NotifySlack:   targetURL(NotifySlack),
			NotifyWebhook: targetURL(NotifyWebhook),
			"on": func(v *yaml.Node) error {
				if v.Kind != yaml.SequenceNode {
					return p.errorf(v, "on: expected a list of %s, got %s", strings.Join(NotifyEvents, ", "), kindName(v))
				}
				t.On = []string{}
				for _, e := range v.Content {
					s, err := p.str(e, "on")
					if err != nil {
						return err
					}
					if !slices.Contains(NotifyEvents, s) {
						return p.errorf(e, "on: %s is not a notification event; expected %s", p.show(s), strings.Join(NotifyEvents, ", "))
					}
					if !slices.Contains(t.On, s) {
						t.On = append(t.On, s)
					}
				}
				return nil
			},
		})
		if err != nil {
			return nil, err
		}
		if kinds != 1 {
			return nil, p.errorf(item, "a notify target: expected exactly one of slack: URL or webhook: URL")
		}
		// The URL is not shown: it is the webhook's credential.
		if u, perr := url.Parse(t.URL); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, p.errorf(urlNode, "%s: the value is not an absolute http(s) URL (not shown: webhook URLs are secrets); expected e.g. ${SLACK_WEBHOOK_URL}", t.Kind)
		}
		if !seen["on"] {
			t.On = slices.Clone(NotifyEvents)
		}
		out = append(out, t)
	}
	return out, nil
}

// lock reads `lock: true|false` or `lock: {ttl: DURATION}`; false is nil.
func (p *parser) lock(n *yaml.Node) (*Lock, error) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		switch n.Value {
		case "true":
			return &Lock{TTL: DefaultLockTTL}, nil
		case "false":
			return nil, nil
		}
		return nil, p.errorf(n, "lock: %s is not true, false or a mapping; expected e.g. lock: true or lock: {ttl: 30m}", p.show(n.Value))
	}
	l := &Lock{TTL: DefaultLockTTL}
	if _, err := p.fields(n, "lock", map[string]func(*yaml.Node) error{
		"ttl": p.durationInto(&l.TTL, "ttl"),
	}); err != nil {
		return nil, err
	}
	return l, nil
}
