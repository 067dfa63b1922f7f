package deploy

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
)

// eventLog remembers which service events and which progress a service has
// already reported, so each is reported once across the deploy and its
// rollback.
type eventLog struct {
	mu       sync.Mutex
	seen     map[string]bool
	since    time.Time // events older than this predate the run; zero: no filter
	messages []string  // reported messages, oldest first, for the diagnosis
	progress string
}

func newEventLog() *eventLog { return &eventLog{seen: map[string]bool{}} }

// baseline marks every event svc already has as old news.
func (l *eventLog) baseline(svc ecstypes.Service) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range svc.Events {
		l.seen[eventKey(e)] = true
	}
}

// startAt ignores events created before t (ECS's own time, like the
// deployment's createdAt, so a skewed local clock does not matter).
func (l *eventLog) startAt(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since = t
}

// fresh returns svc's events not reported yet, oldest first.
func (l *eventLog) fresh(svc ecstypes.Service) []ecstypes.ServiceEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ecstypes.ServiceEvent
	for i := len(svc.Events) - 1; i >= 0; i-- { // ECS lists newest first
		e := svc.Events[i]
		k := eventKey(e)
		if l.seen[k] || (!l.since.IsZero() && e.CreatedAt != nil && e.CreatedAt.Before(l.since)) {
			continue
		}
		l.seen[k] = true
		l.messages = append(l.messages, aws.ToString(e.Message))
		out = append(out, e)
	}
	return out
}

// changed reports whether the progress key differs from the last one.
func (l *eventLog) changed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if key == l.progress {
		return false
	}
	l.progress = key
	return true
}

// placementFailure returns the latest "unable to place a task" event seen.
func (l *eventLog) placementFailure() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.messages) - 1; i >= 0; i-- {
		if strings.Contains(l.messages[i], "unable to place a task") {
			return l.messages[i]
		}
	}
	return ""
}

func eventKey(e ecstypes.ServiceEvent) string {
	if e.Id != nil {
		return *e.Id
	}
	return aws.ToTime(e.CreatedAt).String() + aws.ToString(e.Message)
}

// report emits new service events and, when counts or state moved, the
// progress of deployment d.
func (sr *serviceRun) report(svc ecstypes.Service, d *ecstypes.Deployment) {
	for _, e := range sr.seen.fresh(svc) {
		// ECS's own time of the event; emit stamps it when ECS gave none.
		sr.emit(event.ServiceEvent{At: aws.ToTime(e.CreatedAt), Service: sr.s.Name, Message: aws.ToString(e.Message)})
	}
	if d == nil {
		return
	}
	key := fmt.Sprint(aws.ToString(d.Id), d.RolloutState, d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks)
	if !sr.seen.changed(key) {
		return
	}
	sr.emit(event.DeploymentProgress{
		Service: sr.s.Name, DeploymentID: aws.ToString(d.Id),
		RolloutState: string(d.RolloutState), RolloutReason: aws.ToString(d.RolloutStateReason),
		Desired: d.DesiredCount, Running: d.RunningCount, Pending: d.PendingCount, Failed: d.FailedTasks,
	})
}
