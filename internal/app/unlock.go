package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/lock"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
)

func unlockCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "unlock",
		Usage: "remove a service's deploy lock, left by a deploy that is gone",
		Description: `Removes the deploy lock (config lock:) of the services named with --service, whoever
holds it, and says whose lease it was. Use it when the run that holds the lock is gone (its runner
was killed); a running deploy releases its own lock when it ends. --service is required.

EXAMPLES:
   omdeploy unlock --service tech-gateway`,
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			if len(strSlice(c, flagService)) == 0 {
				return env.fail(failure.New(failure.StageConfig, "", "", errors.New("unlock removes another run's lease: name the service with --service NAME")))
			}
			cl, err := env.clients(ctx)
			if err != nil {
				return env.fail(err)
			}
			var lines []string
			var services []result.Service
			for _, s := range env.services {
				name := lock.Name(s.Cluster, s.Service)
				h, err := lock.Remove(ctx, awsx.NarrowSSM(cl.SSM), name)
				switch {
				case errors.Is(err, lock.ErrNotLocked):
					lines = append(lines, fmt.Sprintf("%s: no deploy lock (%s)", s.Name, name))
				case err != nil:
					return env.fail(failure.New(failure.StagePreflight, s.Name, "", err))
				case h == nil:
					lines = append(lines, fmt.Sprintf("%s: removed %s, which held no lease omdeploy wrote", s.Name, name))
				default:
					lines = append(lines, fmt.Sprintf("%s: removed the deploy lock of %s, held since %s (%s)", s.Name, h, h.AcquiredAt.UTC().Format(time.RFC3339), name))
				}
				services = append(services, result.Service{Name: s.Name, Cluster: s.Cluster, Service: s.Service, Stage: failure.StageDone})
			}
			if str(c, flagOutput) != report.OutputJSON {
				_, err := io.WriteString(c.App.Writer, strings.Join(lines, "\n")+"\n")
				return err
			}
			return env.finishRun(nil, services, nil)
		}),
	}, viewFlags, configFlags, awsFlags)
}
