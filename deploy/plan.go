package deploy

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// plan is the revision a deploy will run: the current task definition with
// one container's image swapped.
type plan struct {
	current   ecstypes.TaskDefinition
	container string
	oldImage  string
	newImage  string
	input     *ecs.RegisterTaskDefinitionInput
	changes   []result.Change        // input against the current revision, field by field
	images    []result.ContainerPlan // the running containers whose image changes
}

// changed reports whether a new revision must be registered.
func (p plan) changed() bool { return p.oldImage != p.newImage || len(p.changes) > 0 }

// newPlan builds the revision a run registers with taskdef.Next, the one
// builder that plan, render and preflight share: every registrable field
// of td (and its tags), or of file when the service's task definition is
// code (nil: it is not), with ch applied. No change (--force-new-deployment
// alone) keeps the images. With pins (image reference → digest, as
// preflight resolved them; nil: no pinning) every image is registered as
// repo:tag@digest; an image without one is an *unpinnedError.
func newPlan(td ecstypes.TaskDefinition, tags []ecstypes.Tag, file *ecs.RegisterTaskDefinitionInput, container string, ch imageref.Change, pins map[string]string) (plan, error) {
	rev, err := taskdef.Next(td, tags, file, container, ch)
	switch {
	case err != nil:
		return plan{}, err
	case rev.Container < 0:
		return plan{}, rev.TargetErr // the plan names a container
	}
	if pins != nil {
		if missing := rev.Pin(pins); len(missing) > 0 {
			return plan{}, &unpinnedError{containers: missing}
		}
	}
	p := plan{current: td, input: rev.Input}
	cds := p.input.ContainerDefinitions
	p.container = aws.ToString(cds[rev.Container].Name)
	p.oldImage = aws.ToString(cds[rev.Container].Image)
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == p.container {
			p.oldImage = aws.ToString(c.Image) // what runs now, which the file may change
		}
	}
	p.newImage = aws.ToString(cds[rev.Container].Image)
	p.changes = Diff(registerInput(td, tags), p.input)
	for _, c := range cds {
		img := aws.ToString(c.Image)
		for _, cur := range td.ContainerDefinitions {
			if aws.ToString(cur.Name) == aws.ToString(c.Name) && aws.ToString(cur.Image) != img {
				p.images = append(p.images, result.ContainerPlan{Name: aws.ToString(c.Name), PreviousImage: aws.ToString(cur.Image), Image: img})
			}
		}
	}
	return p, nil
}

// RegisterInput is the input that registers td again, with tags: every
// registrable field, none that ECS sets itself. init --export writes it.
func RegisterInput(td ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	return registerInput(td, tags)
}

// sameRevision reports whether registering want would give td again, with
// tags: the comparison is Diff's, made on registerInput's copy of td, so
// that what ECS sets itself (ARN, revision, status, registeredAt...), the
// defaults it fills in (which a task definition file may leave out) and
// the order of tags do not count.
func sameRevision(td ecstypes.TaskDefinition, tags []ecstypes.Tag, want *ecs.RegisterTaskDefinitionInput) bool {
	return len(Diff(registerInput(td, tags), want)) == 0
}

// unpinnedError is a plan that pins digests with an image whose digest
// preflight did not resolve: nothing is written, and the failure is
// preflight's (exit 3), since the missing digest is its finding.
type unpinnedError struct{ containers []string }

func (e *unpinnedError) Error() string {
	return fmt.Sprintf("pin_digest: no digest was resolved for %s (see images.exist); the revision cannot be pinned", strings.Join(e.containers, ", "))
}

// errContainer is a config problem: the config does not say which container
// to update, or names one the task definition does not have.
type errContainer = imageref.ContainerError

// registerInput is taskdef.RegisterInput: the input that registers td
// again, which Diff and the read-back compare against.
func registerInput(td ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	return taskdef.RegisterInput(td, tags)
}
