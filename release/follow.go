package release

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/clock"
)

// FilterLogsAPI is the CloudWatch Logs call `omdeploy logs` makes;
// *cloudwatchlogs.Client is the real one.
type FilterLogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

var _ FilterLogsAPI = (*cloudwatchlogs.Client)(nil)

// Source is one container's awslogs streams: every stream under
// Prefix/Container/ in Group, or, with Task set, that task's one stream.
type Source struct {
	Service   string // the service's label in the config
	Container string
	Region    string // the log group's region; empty: the run's
	Group     string
	Prefix    string // awslogs-stream-prefix
	Task      string // a task ID; empty: every task's stream
}

// streamPrefix is what the source's stream names start with. A task ID has
// a fixed length, so its full stream name is a prefix of no other task's.
func (s Source) streamPrefix() string {
	p := s.Prefix + "/" + s.Container + "/"
	return p + s.Task
}

// Line is one log event of a source.
type Line struct {
	Time      time.Time
	Service   string
	Task      string // the task ID, from the stream name
	Container string
	Message   string
}

// Sources are the awslogs sources of td's containers for service; task,
// when set, narrows each to that task's stream. skipped names the
// containers that log elsewhere (or to awslogs without a stream prefix,
// whose stream names omdeploy cannot know), so the caller can say so.
func Sources(service string, td *ecstypes.TaskDefinition, task string) (sources []Source, skipped []string) {
	task = taskID(task) // an ARN or an ID
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || lc.Options["awslogs-group"] == "" || lc.Options["awslogs-stream-prefix"] == "" {
			skipped = append(skipped, name)
			continue
		}
		sources = append(sources, Source{
			Service: service, Container: name, Region: lc.Options["awslogs-region"],
			Group: lc.Options["awslogs-group"], Prefix: lc.Options["awslogs-stream-prefix"], Task: task,
		})
	}
	return sources, skipped
}

// FollowOptions configure Follow.
type FollowOptions struct {
	Sources []Source
	// Logs is the client for a region; "" is the run's region.
	Logs  func(region string) FilterLogsAPI
	Since time.Time // the first read starts here
	// Follow keeps polling for new lines until ctx ends; false returns
	// after the lines already written.
	Follow      bool
	Poll        time.Duration // between polls when following; default 1s
	CallTimeout time.Duration // bounds one FilterLogEvents call; default 10s
	Clock       clock.Clock   // default clock.Real
	// Emit writes one line; an error stops Follow with it.
	Emit func(Line) error
}

// Follow prints the sources' lines from Since in time order, merged across
// sources, and with Follow polls for new ones until ctx ends. Each poll
// starts at the newest timestamp already printed — CloudWatch may still
// accept events at that millisecond — and skips the event IDs it printed
// there. When following, the end of ctx is the normal end and returns nil;
// otherwise it is the error.
func Follow(ctx context.Context, o FollowOptions) error {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 10 * time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	cursors := make([]cursor, len(o.Sources))
	for i := range cursors {
		cursors[i] = cursor{from: o.Since.UnixMilli(), seen: map[string]bool{}}
	}
	for {
		var batch []sourcedEvent
		for i, s := range o.Sources {
			evs, err := cursors[i].poll(ctx, o, s)
			if err != nil {
				if o.Follow && ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, e := range evs {
				batch = append(batch, sourcedEvent{src: i, ev: e})
			}
		}
		// Sources are read one after another; sorting the round merges
		// them, the source order breaking ties so output is stable.
		sort.SliceStable(batch, func(a, b int) bool { return batch[a].ev.at < batch[b].ev.at })
		for _, e := range batch {
			s := o.Sources[e.src]
			if err := o.Emit(Line{
				Time: time.UnixMilli(e.ev.at).UTC(), Service: s.Service, Container: s.Container,
				Task: strings.TrimPrefix(e.ev.stream, s.Prefix+"/"+s.Container+"/"), Message: e.ev.message,
			}); err != nil {
				return err
			}
		}
		if !o.Follow {
			return nil
		}
		t := o.Clock.NewTimer(o.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

type sourcedEvent struct {
	src int
	ev  logEvent
}

type logEvent struct {
	id, stream, message string
	at                  int64 // milliseconds
}

// cursor is where one source's next poll starts: from, in milliseconds,
// and the IDs of the events already printed at from or later.
type cursor struct {
	from int64
	seen map[string]bool
}

// poll reads every page of the source's events from c.from and returns
// those not printed yet, advancing the cursor past them.
func (c *cursor) poll(ctx context.Context, o FollowOptions, s Source) ([]logEvent, error) {
	prefix := s.streamPrefix()
	var out []logEvent
	var token *string
	for {
		page, err := c.page(ctx, o, s, prefix, token)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events {
			id, stream := aws.ToString(e.EventId), aws.ToString(e.LogStreamName)
			// Checked here too: an emulator may ignore logStreamNamePrefix,
			// and a line from another container must not be shown as this one's.
			if !strings.HasPrefix(stream, prefix) || c.seen[id] {
				continue
			}
			c.seen[id] = true
			out = append(out, logEvent{id: id, stream: stream, at: aws.ToInt64(e.Timestamp), message: strings.TrimRight(aws.ToString(e.Message), "\r\n")})
		}
		next := aws.ToString(page.NextToken)
		if next == "" || (token != nil && next == *token) {
			break
		}
		token = &next
	}
	newest := c.from
	for _, e := range out {
		newest = max(newest, e.at)
	}
	if newest > c.from {
		// Only the IDs at the new start can come back; older ones are
		// before it, so the set stays as small as one millisecond's events.
		seen := map[string]bool{}
		for _, e := range out {
			if e.at == newest {
				seen[e.id] = true
			}
		}
		c.from, c.seen = newest, seen
	}
	return out, nil
}

func (c *cursor) page(ctx context.Context, o FollowOptions, s Source, prefix string, token *string) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	cctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
	defer cancel()
	out, err := o.Logs(s.Region).FilterLogEvents(cctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(s.Group), LogStreamNamePrefix: aws.String(prefix),
		StartTime: aws.Int64(c.from), NextToken: token,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("read log group %s (streams %s*): %w", s.Group, prefix, err)
	}
	return out, nil
}
