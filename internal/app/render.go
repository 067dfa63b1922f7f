package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/pipeline"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

func renderCommand(d deps) *cli.Command {
	return withGlobal(&cli.Command{
		Name:  "render",
		Usage: "print the task definition JSON a deploy would register from a service's task_definition file",
		Description: `Reads the service's task_definition: file (strictly, with ${VAR} expanded), applies --image or
--tag to the target container, and prints the RegisterTaskDefinition input as JSON, with the API's
field names. It calls no AWS API, unless the revision pins digests (--pin-digest or the service's
pin_digest): then it runs the images.exist check alone for the digests, as a deploy would, and
prints every image as REPO:TAG@sha256:... When the file names no family or tags, a deploy takes
those of the running revision.

EXAMPLES:
   omdeploy render --service api
   omdeploy render --service api --tag "$GITHUB_SHA" > taskdef.json
   omdeploy render --service api --tag "$GITHUB_SHA" --pin-digest   # the digest the tag names now`,
		Flags: append(imageFlags("render the target container's image as `REPO:TAG`", "render only a new tag, `TAG`, of the file's image"), pinDigestFlag()),
		Action: action(d, true, func(ctx context.Context, c *cli.Context, env *runEnv) error {
			if len(env.services) != 1 {
				return env.fail(failure.New(failure.StageConfig, "", "", errors.New("render: name one service with --service")))
			}
			s := env.services[0]
			if s.TaskDefinition == "" {
				return env.fail(failure.New(failure.StageConfig, s.Name, runbook.ConfigInvalid, fmt.Errorf(
					"render: service %s has no task_definition: file in the config; omdeploy init --export writes one", s.Name)))
			}
			ch, err := changeFlags(c)
			if err != nil {
				return env.fail(err)
			}
			if ch.Image != "" && ch.Tag != "" {
				return env.fail(failure.New(failure.StageConfig, "", "", errors.New("give --image or --tag, not both")))
			}
			tds, err := taskDefinitions(env.services)
			if err != nil {
				return env.fail(err)
			}
			// taskdef.Next is the builder deploy and preflight use; with no
			// live revision to fall back on, the file names the family.
			rev, err := taskdef.Next(ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(s.TaskDefinition)}, nil, tds[s.Name], s.Container, ch)
			if err != nil {
				return env.fail(failure.New(failure.StageConfig, s.Name, runbook.ConfigInvalid, err))
			}
			if opts := env.pipelineOptions(ctx, c); opts.Engine.PinDigest || s.PinDigest {
				opts.Engine.TaskDefinitions = tds
				// The check's verdict is shown as it finishes, as in preflight.
				digests, err := pipeline.Digests(ctx, opts)
				if err != nil {
					return env.fail(err)
				}
				if missing := rev.Pin(digests[s.Name]); len(missing) > 0 {
					return env.fail(failure.New(failure.StagePreflight, s.Name, runbook.ImageDigestUnresolved,
						fmt.Errorf("render: no digest was resolved for %s; the revision cannot be pinned", strings.Join(missing, ", "))))
				}
			}
			in := rev.Input
			b, err := taskdef.Marshal(in)
			if err != nil {
				return env.fail(err)
			}
			_, err = c.App.Writer.Write(b)
			return err
		}),
	}, configFlags, awsFlags)
}
