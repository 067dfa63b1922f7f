// Package lock is omdeploy's deploy lock: a lease per ECS service, kept as
// an SSM parameter, so that two deploys of one service (two CI runs, a
// person and CI) cannot overlap. PutParameter without Overwrite creates a
// parameter only if none exists: that is the atomic acquire. The value
// names the holder and when the lease expires, so a lease left behind by
// a killed runner frees itself after its TTL.
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/omdeploy/omdeploy/internal/actor"
)

// Prefix is where every lease lives: Prefix + CLUSTER/SERVICE.
const Prefix = "/omdeploy/locks/"

// ReleaseTimeout bounds releasing a lease, on a context of its own: a run
// that was interrupted or timed out must still give its lease back.
const ReleaseTimeout = 10 * time.Second

// SSMAPI is what the lock asks of SSM.
type SSMAPI interface {
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, optFns ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// Name is the lease parameter of a service; cluster and service may be
// names or ARNs.
func Name(cluster, service string) string {
	return Prefix + lastPart(cluster) + "/" + lastPart(service)
}

func lastPart(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	return s[strings.LastIndexByte(s, '/')+1:]
}

// Holder is a lease's value: who holds it and until when.
type Holder struct {
	Who        string    `json:"who"`
	RunID      string    `json:"run_id"`
	RunURL     string    `json:"run_url,omitempty"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// String names the holder for a person: who, and the run's page or ID.
func (h Holder) String() string {
	run := h.RunURL
	if run == "" {
		run = "run " + h.RunID
	}
	return fmt.Sprintf("%s (%s)", h.Who, run)
}

// HeldError is an acquire that found the lease held by another run.
type HeldError struct {
	Name   string
	Holder Holder // zero when the value could not be read (Unreadable)
	// Unreadable is set when the parameter holds no lease omdeploy wrote;
	// it is left alone, and `omdeploy unlock` removes it.
	Unreadable bool
}

// Error names the holder and since when.
func (e *HeldError) Error() string {
	if e.Unreadable {
		return fmt.Sprintf("deploy lock %s exists but does not hold a lease omdeploy can read", e.Name)
	}
	return fmt.Sprintf("deploy lock %s is held by %s since %s (expires %s)", e.Name, e.Holder,
		e.Holder.AcquiredAt.UTC().Format(time.RFC3339), e.Holder.ExpiresAt.UTC().Format(time.RFC3339))
}

// Lease is a held lock.
type Lease struct {
	api    SSMAPI
	Name   string
	Holder Holder
	value  string
}

// Acquire takes the lease name for a for ttl, at now (wall-clock time:
// other machines compare it). It returns *HeldError when another run holds
// it. A lease whose expires_at has passed is taken over, and its holder
// returned as stale, so the caller can warn.
//
// A stale lease is replaced by delete then put-if-absent, after re-reading
// that the value is still the stale one. Two runs taking over the same
// stale lease at once cannot both win the put. The race accepted is
// narrower: run A re-reads the stale value, run B deletes it and puts its
// own, then A's delete removes B's fresh lease and A puts its own, so both
// deploy. That needs B's delete-and-put to land between A's re-read and
// A's delete, milliseconds apart, on a lease that had already expired
// (its holder long gone); SSM has no compare-and-delete to close it.
func Acquire(ctx context.Context, api SSMAPI, name string, a actor.Actor, ttl time.Duration, now time.Time) (lease *Lease, stale *Holder, err error) {
	h := Holder{Who: a.Who, RunID: a.RunID, RunURL: a.RunURL, AcquiredAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC()}
	data, err := json.Marshal(h)
	if err != nil {
		return nil, nil, fmt.Errorf("encode lease: %w", err)
	}
	l := &Lease{api: api, Name: name, Holder: h, value: string(data)}
	// A few rounds: the holder may release between our put and our read,
	// and a stale lease takes one round to remove.
	for range 4 {
		created, err := l.put(ctx)
		switch {
		case err != nil:
			return nil, nil, err
		case created:
			return l.confirm(ctx, stale)
		}
		cur, value, found, err := read(ctx, api, name)
		switch {
		case err != nil:
			return nil, nil, err
		case !found:
			continue // released since: try again
		case cur == nil:
			return nil, nil, &HeldError{Name: name, Unreadable: true}
		case now.Before(cur.ExpiresAt):
			return nil, nil, &HeldError{Name: name, Holder: *cur}
		}
		// Stale: re-read right before deleting, so that a lease another
		// run has just put is not the one removed.
		_, again, found, err := read(ctx, api, name)
		if err != nil {
			return nil, nil, err
		}
		if found && again != value {
			continue // someone else took it over: judge the new lease
		}
		if found {
			if err := del(ctx, api, name); err != nil {
				return nil, nil, err
			}
		}
		stale = cur
	}
	return nil, nil, fmt.Errorf("deploy lock %s: changed hands on every attempt to take it", name)
}

// confirm reads the lease back after creating it. SSM's put-if-absent is
// atomic, but an emulator's may not be (moto checks, then writes, in two
// steps): a concurrent writer that overwrote us shows here, and we back
// off instead of both deploying. With SSM the read always finds our value.
func (l *Lease) confirm(ctx context.Context, stale *Holder) (*Lease, *Holder, error) {
	cur, value, found, err := read(ctx, l.api, l.Name)
	switch {
	case err != nil:
		return nil, nil, err
	case !found:
		return nil, nil, fmt.Errorf("deploy lock %s: removed right after it was taken; deploy again", l.Name)
	case value == l.value:
		return l, stale, nil
	case cur == nil:
		return nil, nil, &HeldError{Name: l.Name, Unreadable: true}
	}
	return nil, nil, &HeldError{Name: l.Name, Holder: *cur}
}

// put creates the parameter; created is false when it already exists.
func (l *Lease) put(ctx context.Context) (created bool, err error) {
	_, err = l.api.PutParameter(ctx, &ssm.PutParameterInput{
		Name:        aws.String(l.Name),
		Value:       aws.String(l.value),
		Type:        ssmtypes.ParameterTypeString,
		Overwrite:   aws.Bool(false),
		Description: aws.String("omdeploy deploy lock; remove with `omdeploy unlock` if its holder is gone"),
	})
	var exists *ssmtypes.ParameterAlreadyExists
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exists):
		return false, nil
	}
	return false, fmt.Errorf("put deploy lock %s: %w", l.Name, err)
}

// read returns the lease at name: h is nil when the value is not a lease;
// found is false when there is no parameter.
func read(ctx context.Context, api SSMAPI, name string) (h *Holder, value string, found bool, err error) {
	out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var missing *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &missing):
		return nil, "", false, nil
	case err != nil:
		return nil, "", false, fmt.Errorf("read deploy lock %s: %w", name, err)
	case out.Parameter == nil:
		return nil, "", false, nil
	}
	value = aws.ToString(out.Parameter.Value)
	var cur Holder
	if json.Unmarshal([]byte(value), &cur) != nil || cur.RunID == "" || cur.ExpiresAt.IsZero() {
		return nil, value, true, nil
	}
	return &cur, value, true, nil
}

func del(ctx context.Context, api SSMAPI, name string) error {
	_, err := api.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(name)})
	var missing *ssmtypes.ParameterNotFound
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("delete deploy lock %s: %w", name, err)
	}
	return nil
}

// ErrTakenOver is a release that found another run's lease: ours had
// expired and was taken over, so it is left alone.
var ErrTakenOver = errors.New("the lease expired and was taken over by another run; it is left in place")

// Release gives the lease back, on a context of its own bounded by
// ReleaseTimeout that keeps ctx's values but not its cancellation: an
// interrupted run releases too. It removes the parameter only while it
// still holds this lease.
func (l *Lease) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReleaseTimeout)
	defer cancel()
	cur, value, found, err := read(ctx, l.api, l.Name)
	switch {
	case err != nil:
		return err
	case !found:
		return nil
	case value != l.value:
		holder := "an unreadable value"
		if cur != nil {
			holder = cur.String()
		}
		return fmt.Errorf("deploy lock %s: %w (now held by %s)", l.Name, ErrTakenOver, holder)
	}
	return del(ctx, l.api, l.Name)
}

// ErrNotLocked is Remove on a service that holds no lease.
var ErrNotLocked = errors.New("no deploy lock is held")

// Remove deletes the lease at name whoever holds it (`omdeploy unlock`),
// and returns the holder it removed; nil when the value was not a lease.
func Remove(ctx context.Context, api SSMAPI, name string) (*Holder, error) {
	cur, _, found, err := read(ctx, api, name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", name, ErrNotLocked)
	}
	return cur, del(ctx, api, name)
}
