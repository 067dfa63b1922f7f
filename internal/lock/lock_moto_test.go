package lock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

var (
	alice = actor.Actor{Who: "alice@laptop", RunID: "local-a"}
	bob   = actor.Actor{Who: "octocat", RunID: "42", RunURL: "https://github.com/acme/app/actions/runs/42"}
)

func exists(t *testing.T, api lock.SSMAPI, name string) bool {
	t.Helper()
	_, err := api.GetParameter(testenv.Ctx(t), &ssm.GetParameterInput{Name: aws.String(name)})
	return err == nil
}

func TestLockAgainstMoto(t *testing.T) {
	api := testenv.Moto(t).SSM
	now := time.Now()
	tests := []struct {
		name string
		run  func(t *testing.T, name string)
	}{
		{"second acquire finds the holder", func(t *testing.T, name string) {
			l, stale, err := lock.Acquire(t.Context(), api, name, alice, time.Hour, now)
			if err != nil || stale != nil {
				t.Fatalf("first acquire: %v, stale %v", err, stale)
			}
			_, _, err = lock.Acquire(t.Context(), api, name, bob, time.Hour, now)
			var held *lock.HeldError
			if !errors.As(err, &held) || held.Holder.Who != alice.Who || held.Holder.RunID != alice.RunID || !held.Holder.AcquiredAt.Equal(now.UTC().Truncate(time.Nanosecond)) {
				t.Fatalf("second acquire: %v, want held by alice since %s", err, now)
			}
			if err := l.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			if exists(t, api, name) {
				t.Fatal("the lease is still there after Release")
			}
		}},
		{"stale lease is taken over", func(t *testing.T, name string) {
			if _, _, err := lock.Acquire(t.Context(), api, name, alice, time.Minute, now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			l, stale, err := lock.Acquire(t.Context(), api, name, bob, time.Hour, now)
			if err != nil || stale == nil || stale.Who != alice.Who {
				t.Fatalf("takeover: lease %v, stale %v, err %v", l, stale, err)
			}
			if l.Holder.Who != bob.Who {
				t.Fatalf("holder = %+v", l.Holder)
			}
		}},
		{"release leaves a lease taken over", func(t *testing.T, name string) {
			old, _, err := lock.Acquire(t.Context(), api, name, alice, time.Minute, now.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := lock.Acquire(t.Context(), api, name, bob, time.Hour, now); err != nil {
				t.Fatal(err)
			}
			if err := old.Release(t.Context()); !errors.Is(err, lock.ErrTakenOver) {
				t.Fatalf("release of the taken-over lease: %v", err)
			}
			if !exists(t, api, name) {
				t.Fatal("the new holder's lease was removed")
			}
		}},
		{"unreadable value is held", func(t *testing.T, name string) {
			if _, err := api.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("by hand"), Type: "String"}); err != nil {
				t.Fatal(err)
			}
			_, _, err := lock.Acquire(t.Context(), api, name, bob, time.Hour, now)
			var held *lock.HeldError
			if !errors.As(err, &held) || !held.Unreadable {
				t.Fatalf("acquire over a hand-written value: %v", err)
			}
		}},
		{"remove", func(t *testing.T, name string) {
			if _, err := lock.Remove(t.Context(), api, name); !errors.Is(err, lock.ErrNotLocked) {
				t.Fatalf("remove of nothing: %v", err)
			}
			if _, _, err := lock.Acquire(t.Context(), api, name, alice, time.Hour, now); err != nil {
				t.Fatal(err)
			}
			h, err := lock.Remove(t.Context(), api, name)
			if err != nil || h == nil || h.Who != alice.Who {
				t.Fatalf("remove: %v, %v", h, err)
			}
			if exists(t, api, name) {
				t.Fatal("the lease is still there after Remove")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := lock.Name(testenv.Unique("cl"), testenv.Unique("svc"))
			t.Cleanup(func() { _, _ = lock.Remove(testenv.Ctx(t), api, name) })
			tt.run(t, name)
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct{ name, cluster, service, want string }{
		{"names", "prod", "web", "/omdeploy/locks/prod/web"},
		{"arns", "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "arn:aws:ecs:us-east-1:123456789012:service/prod/web", "/omdeploy/locks/prod/web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lock.Name(tt.cluster, tt.service); got != tt.want {
				t.Fatalf("Name = %q, want %q", got, tt.want)
			}
		})
	}
}
