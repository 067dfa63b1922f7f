package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const notifySecret = "T000/B000/s3cr3tPath"

func TestNotifyAndLock(t *testing.T) {
	src := `
notify:
  - slack: ${SLACK_URL}
  - webhook: https://hooks.example.com/x
    on: [failure, rollback]
lock: {ttl: 10m}
services:
  - cluster: c
    service: a
  - cluster: c
    service: b
    lock: false
  - cluster: c
    service: d
    lock: true
`
	f, err := Parse("c.yaml", []byte(src), env(map[string]string{"SLACK_URL": "https://hooks.slack.com/services/" + notifySecret}))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Notify) != 2 || f.Notify[0].Kind != NotifySlack || !slices.Equal(f.Notify[0].On, NotifyEvents) {
		t.Fatalf("notify[0] = %+v", f.Notify)
	}
	if n := f.Notify[1]; n.Kind != NotifyWebhook || !slices.Equal(n.On, []string{NotifyFailure, NotifyRollback}) || n.Wants(NotifyStart) {
		t.Fatalf("notify[1] = %+v", n)
	}
	for i, want := range []*Lock{{TTL: 10 * time.Minute}, nil, {TTL: DefaultLockTTL}} {
		got := f.Services[i].Lock
		if (got == nil) != (want == nil) || (got != nil && got.TTL != want.TTL) {
			t.Errorf("service %s lock = %+v, want %+v", f.Services[i].Name, got, want)
		}
	}
}

func TestNotifyAndLockErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"both kinds", "notify:\n  - slack: https://a.example/x\n    webhook: https://b.example/y\n", "exactly one of"},
		{"no kind", "notify:\n  - on: [start]\n", "exactly one of"},
		{"not a url", "notify:\n  - slack: hooks.slack.com/" + notifySecret + "\n", "not an absolute http(s) URL"},
		{"unknown event", "notify:\n  - slack: https://a.example/x\n    on: [deployed]\n", `"deployed" is not a notification event`},
		{"not a list", "notify:\n  slack: https://a.example/x\n", "expected a list of targets"},
		{"bad lock", "lock: yes-please\n", "is not true, false or a mapping"},
		{"bad ttl", "lock: {ttl: soon}\n", "ttl:"},
		{"unknown lock key", "lock: {tll: 5m}\n", `unknown key "tll" in lock`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml+"services:\n  - cluster: c\n    service: s\n"), env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), notifySecret) {
				t.Fatalf("the error shows the webhook's secret path: %v", err)
			}
		})
	}
}
