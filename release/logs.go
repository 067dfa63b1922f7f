package release

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
)

// follower streams one container's awslogs stream as TaskLog events and
// keeps its last lines for the diagnosis.
type follower struct {
	r                      *taskRun
	logs                   LogsAPI
	container              string
	group, stream          string
	mu                     sync.Mutex
	tail                   []string
	err                    error
	maxTail                int
	pollEvery, callTimeout time.Duration
}

// followers are the task's containers that log with awslogs, whose stream
// is PREFIX/CONTAINER/TASK_ID; a container without a stream prefix has no
// stream name omdeploy can know, and is left out.
func (r *taskRun) followers() []*follower {
	if r.opts.Logs == nil {
		return nil
	}
	r.logs = nil
	for _, c := range r.td.ContainerDefinitions {
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || lc.Options["awslogs-group"] == "" || lc.Options["awslogs-stream-prefix"] == "" {
			continue
		}
		region := lc.Options["awslogs-region"]
		if region == "" {
			region = r.opts.Region
		}
		name := aws.ToString(c.Name)
		r.logs = append(r.logs, &follower{
			r: r, logs: r.opts.Logs(region), container: name,
			group: lc.Options["awslogs-group"], stream: lc.Options["awslogs-stream-prefix"] + "/" + name + "/" + taskID(r.arn),
			maxTail: r.opts.LogLines, pollEvery: r.opts.LogPoll, callTimeout: r.opts.CallTimeout,
		})
	}
	return r.logs
}

// follow reads the stream from its head with GetLogEvents, following
// nextForwardToken, every pollEvery until stopped is closed; then it reads
// on until the token comes back unchanged (the end of what was written),
// reads once more for lines still in flight, and returns. ctx bounds it
// all: cancelled at once on an interrupt, after StopTimeout otherwise.
func (f *follower) follow(ctx context.Context, stopped <-chan struct{}) {
	var token *string
	ended := false // the task has stopped
	for {
		next, got, err := f.read(ctx, token)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && awsx.Code(err) != "ResourceNotFoundException":
			f.setErr(err)
		case err == nil:
			f.setErr(nil)
		}
		repeated := err != nil || (token != nil && next != nil && *next == *token && got == 0)
		if next != nil {
			token = next
		}
		if ended && repeated {
			_, _, _ = f.read(ctx, token) // the final read
			return
		}
		if ended {
			continue // read on without waiting until the end of the stream
		}
		t := f.r.opts.Clock.NewTimer(f.pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-stopped:
			t.Stop()
			ended = true
		case <-t.C():
		}
	}
}

// read reads one page after token and emits its lines; it returns the
// next forward token and how many lines it read.
func (f *follower) read(ctx context.Context, token *string) (*string, int, error) {
	cctx, cancel := context.WithTimeout(ctx, f.callTimeout)
	defer cancel()
	out, err := f.logs.GetLogEvents(cctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(f.group), LogStreamName: aws.String(f.stream), StartFromHead: aws.Bool(true), NextToken: token,
	})
	if err != nil {
		return nil, 0, err
	}
	for _, e := range out.Events {
		line := strings.TrimRight(aws.ToString(e.Message), "\r\n")
		f.keep(line)
		f.r.opts.Reporter.Report(event.TaskLog{
			At: time.UnixMilli(aws.ToInt64(e.Timestamp)), Service: f.r.svc.Name, Task: f.r.task.Name, Container: f.container, Line: line,
		})
	}
	return out.NextForwardToken, len(out.Events), nil
}

func (f *follower) keep(line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tail = append(f.tail, line)
	if len(f.tail) > f.maxTail {
		f.tail = f.tail[len(f.tail)-f.maxTail:]
	}
}

func (f *follower) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *follower) lastLines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tail...)
}

// errText is why the stream could not be read, for the diagnosis.
func (f *follower) errText() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		return ""
	}
	var cause interface{ ErrorMessage() string }
	if errors.As(f.err, &cause) && cause.ErrorMessage() != "" {
		return awsx.Code(f.err) + ": " + cause.ErrorMessage()
	}
	return f.err.Error()
}
