package release_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/release"
)

// fakeFilter serves FilterLogEvents from a log group held in memory, a page
// of pageSize events at a time, ignoring logStreamNamePrefix as moto does.
// Each call first runs before(call), which may add events or cancel.
type fakeFilter struct {
	mu       sync.Mutex
	events   []logstypes.FilteredLogEvent
	pageSize int
	calls    int
	before   func(call int, f *fakeFilter)
	starts   []int64
}

func (f *fakeFilter) add(id, stream string, at int64, msg string) {
	f.events = append(f.events, logstypes.FilteredLogEvent{EventId: aws.String(id), LogStreamName: aws.String(stream), Timestamp: aws.Int64(at), Message: aws.String(msg)})
}

func (f *fakeFilter) FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.before != nil {
		f.before(f.calls, f)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.starts = append(f.starts, aws.ToInt64(in.StartTime))
	var match []logstypes.FilteredLogEvent
	for _, e := range f.events {
		if aws.ToInt64(e.Timestamp) >= aws.ToInt64(in.StartTime) {
			match = append(match, e)
		}
	}
	slices.SortStableFunc(match, func(a, b logstypes.FilteredLogEvent) int {
		return int(aws.ToInt64(a.Timestamp) - aws.ToInt64(b.Timestamp))
	})
	from := 0
	if in.NextToken != nil {
		for i, e := range match {
			if aws.ToString(e.EventId) == *in.NextToken {
				from = i + 1
			}
		}
	}
	size := f.pageSize
	if size == 0 {
		size = len(match)
	}
	to := min(from+size, len(match))
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: match[from:to]}
	if to < len(match) {
		out.NextToken = match[to-1].EventId
	}
	return out, nil
}

func TestFollow(t *testing.T) {
	const task = "0123456789abcdef0123456789abcdef"
	app := release.Source{Service: "web", Container: "app", Group: "g", Prefix: "ecs"}
	tests := []struct {
		name     string
		sources  []release.Source
		events   func(f *fakeFilter)
		pageSize int
		follow   bool
		// later adds events before the given call, to show what a poll
		// finds; the last call cancels the context.
		later map[int]func(f *fakeFilter)
		stop  int
		want  []string
	}{
		{
			name:    "one read, in time order, other streams left out",
			sources: []release.Source{app},
			events: func(f *fakeFilter) {
				f.add("2", "ecs/app/"+task, 2000, "second")
				f.add("1", "ecs/app/"+task, 1000, "first")
				f.add("x", "ecs/sidecar/"+task, 1500, "not app's")
			},
			want: []string{task + " app first", task + " app second"},
		},
		{
			name:    "containers merged in time order",
			sources: []release.Source{app, {Service: "web", Container: "worker", Group: "g", Prefix: "ecs"}},
			events: func(f *fakeFilter) {
				f.add("a1", "ecs/app/"+task, 1000, "a1")
				f.add("w1", "ecs/worker/"+task, 1500, "w1")
				f.add("a2", "ecs/app/"+task, 2000, "a2")
			},
			want: []string{task + " app a1", task + " worker w1", task + " app a2"},
		},
		{
			name:     "every page is read",
			sources:  []release.Source{app},
			pageSize: 1,
			events: func(f *fakeFilter) {
				for i, m := range []string{"a", "b", "c"} {
					f.add(m, "ecs/app/"+task, int64(1000+i), m)
				}
			},
			want: []string{task + " app a", task + " app b", task + " app c"},
		},
		{
			name:    "one task's streams",
			sources: []release.Source{{Service: "web", Container: "app", Group: "g", Prefix: "ecs", Task: task}},
			events: func(f *fakeFilter) {
				f.add("1", "ecs/app/"+task, 1000, "mine")
				f.add("2", "ecs/app/ffffffffffffffffffffffffffffffff", 1001, "another task's")
			},
			want: []string{task + " app mine"},
		},
		{
			name:    "following prints each new line once, also one at the last timestamp",
			sources: []release.Source{app},
			follow:  true,
			events:  func(f *fakeFilter) { f.add("1", "ecs/app/"+task, 1000, "before") },
			later: map[int]func(f *fakeFilter){
				2: func(f *fakeFilter) { f.add("2", "ecs/app/"+task, 1000, "same millisecond") },
				3: func(f *fakeFilter) { f.add("3", "ecs/app/"+task, 3000, "later") },
			},
			stop: 5,
			want: []string{task + " app before", task + " app same millisecond", task + " app later"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeFilter{pageSize: tt.pageSize}
			tt.events(f)
			f.before = func(call int, f *fakeFilter) {
				if add := tt.later[call]; add != nil {
					add(f)
				}
				if call == tt.stop {
					cancel()
				}
			}
			var got []string
			err := release.Follow(ctx, release.FollowOptions{
				Sources: tt.sources, Logs: func(string) release.FilterLogsAPI { return f },
				Since: time.UnixMilli(500), Follow: tt.follow, Poll: time.Millisecond,
				Emit: func(l release.Line) error {
					if l.Service != "web" {
						t.Errorf("service %q", l.Service)
					}
					got = append(got, l.Task+" "+l.Container+" "+l.Message)
					return nil
				},
			})
			if err != nil {
				t.Fatalf("Follow: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("printed %q, want %q", got, tt.want)
			}
			if f.starts[0] != 500 {
				t.Errorf("first read starts at %d, want --since's 500", f.starts[0])
			}
		})
	}
}

func TestFollowErrors(t *testing.T) {
	boom := errors.New("boom")
	src := []release.Source{{Service: "web", Container: "app", Group: "g", Prefix: "ecs"}}
	tests := []struct {
		name    string
		follow  bool
		cancel  bool
		wantErr error // nil: Follow returns nil
	}{
		{"a failed read fails", false, false, boom},
		{"an interrupt without follow is an error", false, true, context.Canceled},
		{"an interrupt while following is the normal end", true, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := errFilter{err: boom}
			if tt.cancel {
				cancel()
				api.err = context.Canceled
			}
			err := release.Follow(ctx, release.FollowOptions{
				Sources: src, Logs: func(string) release.FilterLogsAPI { return api }, Follow: tt.follow,
				Emit: func(release.Line) error { return nil },
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && tt.wantErr == boom && !strings.Contains(err.Error(), "log group g") {
				t.Errorf("error %q does not name the log group", err)
			}
		})
	}
}

type errFilter struct{ err error }

func (e errFilter) FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	return nil, e.err
}

func TestSources(t *testing.T) {
	awslogs := func(opts map[string]string) *ecstypes.LogConfiguration {
		return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: opts}
	}
	td := &ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: aws.String("app"), LogConfiguration: awslogs(map[string]string{"awslogs-group": "g", "awslogs-stream-prefix": "ecs", "awslogs-region": "eu-west-1"})},
		{Name: aws.String("noprefix"), LogConfiguration: awslogs(map[string]string{"awslogs-group": "g"})},
		{Name: aws.String("firelens"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwsfirelens}},
		{Name: aws.String("none")},
	}}
	src, skipped := release.Sources("web", td, "arn:aws:ecs:us-east-1:1:task/cl/abc")
	want := release.Source{Service: "web", Container: "app", Region: "eu-west-1", Group: "g", Prefix: "ecs", Task: "abc"}
	if len(src) != 1 || src[0] != want {
		t.Fatalf("sources = %+v, want [%+v]", src, want)
	}
	if !slices.Equal(skipped, []string{"noprefix", "firelens", "none"}) {
		t.Fatalf("skipped = %v", skipped)
	}
}
