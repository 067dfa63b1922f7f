package app

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/release"
)

const (
	flagSince  = "since"
	flagFollow = "follow"
	flagTask   = "task"
)

// logsPoll is how often `logs --follow` asks for new lines; a var so
// tests need not wait a full second per round.
var logsPoll = time.Second

// logsCommand is `omdeploy logs`: the services' awslogs lines, merged in
// time order. stdout carries the lines and nothing else — with -o json one
// JSON object per line, the one exception to the one-document rule — so
// that it can be piped; errors go to stderr.
func logsCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "logs",
		Usage: "print the services' CloudWatch log lines, merged in time order; --follow for new ones",
		Description: `Reads the awslogs streams of each service's current task definition: every task's stream
under the containers' stream prefix with events since --since, or one task's streams with --task.
Lines are merged in time order and prefixed with the service, task ID and container:

   2026-01-02T15:04:05.000Z [web] 0f3e5c1d9a8b4b7e8c6d5e4f3a2b1c0d app | listening on :8080

With --output json each line is one JSON object (JSON Lines: time, service, task, container,
message) instead of the single result document other commands write. Only log lines go to stdout.

--follow polls every second for new lines until Ctrl-C (or --timeout), then exits 0: following
has no other end, so stopping it is not a failure. Without --follow, Ctrl-C exits 130.
Exit 2: bad flags or config; 3: the service, its task definition or a log group could not be read.

EXAMPLES:
   omdeploy logs --service web --since 1h
   omdeploy logs --service web --follow
   omdeploy logs --service web --task 0f3e5c1d9a8b4b7e8c6d5e4f3a2b1c0d -o json | jq .message`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: flagSince, Value: 10 * time.Minute, Usage: "print lines written in the last `DURATION`"},
			&cli.BoolFlag{Name: flagFollow, Aliases: []string{"f"}, Usage: "keep printing new lines until Ctrl-C (exit 0)"},
			&cli.StringFlag{Name: flagTask, Usage: "only the streams of task `ID` (an ID or ARN)", DefaultText: "every task's"},
		},
		Action: func(c *cli.Context) error {
			env, ctx, cancel, err := setup(c, d, true)
			defer cancel()
			if err != nil {
				return err // never rendered as a document: stdout is for lines
			}
			// No live view: stderr has nothing to show while lines stream.
			env.renderer.Close()
			if c.Duration(flagSince) <= 0 {
				return failure.New(failure.StageConfig, "", "", errors.New("--since must be positive"))
			}
			err = env.logs(ctx, c)
			if c.Bool(flagFollow) && errors.Is(err, context.Canceled) {
				return nil // Ctrl-C is how a follow ends, also before its first line
			}
			return err
		},
	}, viewFlags, configFlags, awsFlags)
}

// logs resolves the sources and prints their lines.
func (env *runEnv) logs(ctx context.Context, c *cli.Context) error {
	clients, err := env.clients(ctx)
	if err != nil {
		return err
	}
	var sources []release.Source
	for _, svc := range env.services {
		out, err := clients.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(svc.Cluster), Services: []string{svc.Service}})
		switch {
		case err != nil:
			return failure.New(failure.StagePreflight, svc.Name, "", fmt.Errorf("logs: describe service %s: %w", svc.Service, err))
		case len(out.Services) == 0:
			return failure.New(failure.StagePreflight, svc.Name, "", fmt.Errorf("logs: service %s not found in cluster %s", svc.Service, svc.Cluster))
		}
		td, err := clients.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: out.Services[0].TaskDefinition})
		if err != nil {
			return failure.New(failure.StagePreflight, svc.Name, "", fmt.Errorf("logs: describe task definition of %s: %w", svc.Service, err))
		}
		src, skipped := release.Sources(svc.Name, td.TaskDefinition, c.String(flagTask))
		for _, name := range skipped {
			fmt.Fprintf(env.deps.io.Err, "omdeploy: [%s] container %s does not log to awslogs with a stream prefix: its lines are not shown\n", svc.Name, name)
		}
		sources = append(sources, src...)
	}
	if len(sources) == 0 {
		return failure.New(failure.StageConfig, "", "", errors.New("logs: no container of the selected services logs to awslogs with a stream prefix"))
	}
	out := bufio.NewWriter(env.deps.io.Out)
	emit := textLine(out)
	if str(c, flagOutput) == report.OutputJSON {
		emit = jsonLine(out)
	}
	err = release.Follow(ctx, release.FollowOptions{
		Sources: sources,
		Logs: func(region string) release.FilterLogsAPI {
			return awsx.NarrowLogs(clients.LogsIn(cmp.Or(region, clients.Region)))
		},
		Since:  time.Now().Add(-c.Duration(flagSince)),
		Follow: c.Bool(flagFollow),
		Poll:   logsPoll,
		// Room for the SDK's retries, each attempt bounded by the read timeout.
		CallTimeout: 3 * duration(c, flagReadTimeout),
		Emit: func(l release.Line) error {
			if err := emit(l); err != nil {
				return err
			}
			// Flushed per line: a follower watches them arrive.
			return out.Flush()
		},
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return failure.New(failure.StagePreflight, "", "", err)
	}
	return err // nil, or an interrupt without --follow: exit 130
}

// textLine writes `TIME [service] TASK container | message`.
func textLine(w io.Writer) func(release.Line) error {
	return func(l release.Line) error {
		_, err := fmt.Fprintf(w, "%s [%s] %s %s | %s\n", l.Time.Format("2006-01-02T15:04:05.000Z07:00"), l.Service, l.Task, l.Container, l.Message)
		return err
	}
}

// logLine is one line of `logs -o json`.
type logLine struct {
	Time      time.Time `json:"time"`
	Service   string    `json:"service"`
	Task      string    `json:"task"`
	Container string    `json:"container"`
	Message   string    `json:"message"`
}

// jsonLine writes one JSON object and a newline.
func jsonLine(w io.Writer) func(release.Line) error {
	enc := json.NewEncoder(w)
	return func(l release.Line) error {
		return enc.Encode(logLine{Time: l.Time, Service: l.Service, Task: l.Task, Container: l.Container, Message: l.Message})
	}
}
