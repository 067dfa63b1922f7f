package app

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

const (
	taskA = "0123456789abcdef0123456789abcdef"
	taskB = "fedcba9876543210fedcba9876543210"
)

// putLog writes one event at at to stream in group, creating the stream
// when it is new.
func putLog(t *testing.T, c *awsx.Clients, group, stream string, at time.Time, msg string) {
	t.Helper()
	ctx := testenv.Ctx(t)
	_, err := c.Logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	if err != nil && awsx.Code(err) != "ResourceAlreadyExistsException" {
		t.Fatal(err)
	}
	if _, err := c.Logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []logstypes.InputLogEvent{{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(msg)}},
	}); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a buffer a test reads while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runLogs(ctx context.Context, t *testing.T, cfg string, stdout, stderr *syncBuffer, args ...string) int {
	t.Helper()
	full := append([]string{"omdeploy", "logs", "--config", cfg, "--endpoint-url", testenv.MotoEndpoint(t), "--region", "us-east-1"}, args...)
	return runWith(ctx, Build{}, full, iostreams.Test(stdout, stderr), deps{})
}

func TestLogsAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	now := time.Now()
	putLog(t, c, f.LogGroup, "ecs/app/"+taskA, now.Add(-time.Hour), "old line")
	putLog(t, c, f.LogGroup, "ecs/app/"+taskA, now.Add(-2*time.Minute), "recent A")
	putLog(t, c, f.LogGroup, "ecs/app/"+taskB, now.Add(-time.Minute), "recent B")
	putLog(t, c, f.LogGroup, "ecs/other/"+taskA, now.Add(-time.Minute), "another container")
	cfg := motoConfig(t, f, "")

	tests := []struct {
		name string
		args []string
		want []string // the messages, in order
	}{
		{"since bounds the window", []string{"--since", "10m"}, []string{"recent A", "recent B"}},
		{"a longer window", []string{"--since", "2h"}, []string{"old line", "recent A", "recent B"}},
		{"one task", []string{"--since", "2h", "--task", "arn:aws:ecs:us-east-1:123456789012:task/cl/" + taskB}, []string{"recent B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			if code := runLogs(testenv.Ctx(t), t, cfg, &stdout, &stderr, tt.args...); code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
				_, msg, ok := strings.Cut(line, " | ")
				if !ok || !strings.Contains(line, "[web] ") || !strings.Contains(line, " app | ") {
					t.Fatalf("line %q is not TIME [web] TASK app | MESSAGE", line)
				}
				got = append(got, msg)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("printed %q, want %q", got, tt.want)
			}
			if !strings.Contains(stderr.String(), "container envoy does not log to awslogs") {
				t.Errorf("stderr does not say envoy's lines are not shown:\n%s", stderr.String())
			}
		})
	}

	t.Run("json lines", func(t *testing.T) {
		var stdout, stderr syncBuffer
		if code := runLogs(testenv.Ctx(t), t, cfg, &stdout, &stderr, "--since", "10m", "-o", "json"); code != 0 {
			t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("want 2 JSON lines, got:\n%s", stdout.String())
		}
		for i, want := range []map[string]string{
			{"service": "web", "task": taskA, "container": "app", "message": "recent A"},
			{"service": "web", "task": taskB, "container": "app", "message": "recent B"},
		} {
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
				t.Fatalf("line %d %q: %v", i, lines[i], err)
			}
			if len(got) != 5 {
				t.Errorf("line %d has keys %v, want time, service, task, container, message", i, got)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("line %d: %s = %v, want %q", i, k, got[k], v)
				}
			}
			if _, err := time.Parse(time.RFC3339Nano, got["time"].(string)); err != nil {
				t.Errorf("line %d: time: %v", i, err)
			}
		}
	})

	t.Run("an interrupt exits 130, or 0 when following", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want int
		}{{nil, 130}, {[]string{"--follow"}, 0}} {
			ctx, cancel := context.WithCancel(testenv.Ctx(t))
			cancel() // Ctrl-C before anything was read
			var stdout, stderr syncBuffer
			if code := runLogs(ctx, t, cfg, &stdout, &stderr, tt.args...); code != tt.want || stdout.String() != "" {
				t.Errorf("logs %v interrupted: exit %d, stdout %q; want exit %d and nothing\nstderr:\n%s", tt.args, code, stdout.String(), tt.want, stderr.String())
			}
		}
	})

	t.Run("follow prints a new line and stops on cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testenv.Ctx(t))
		defer cancel()
		var stdout, stderr syncBuffer
		done := make(chan int, 1)
		go func() { done <- runLogs(ctx, t, cfg, &stdout, &stderr, "--since", "10m", "--follow") }()
		waitFor(t, &stdout, "recent B") // the first read is done: following now
		putLog(t, c, f.LogGroup, "ecs/app/"+taskA, time.Now(), "written while following")
		waitFor(t, &stdout, "written while following")
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("exit %d after cancel, want 0\nstderr:\n%s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("logs --follow did not stop within 10s of its context's end")
		}
		if n := strings.Count(stdout.String(), "written while following"); n != 1 {
			t.Fatalf("the new line was printed %d times:\n%s", n, stdout.String())
		}
	})
}

// waitFor waits up to 20s for want on b.
func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not printed within 20s:\n%s", want, b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
