package deploy

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/result"
)

// plan is the revision a deploy will run: the current task definition with
// one container's image swapped.
type plan struct {
	current   ecstypes.TaskDefinition
	container string
	oldImage  string
	newImage  string
	input     *ecs.RegisterTaskDefinitionInput
	changes   []result.Change // input against the current revision, field by field
}

// changed reports whether a new revision must be registered.
func (p plan) changed() bool { return p.oldImage != p.newImage || len(p.changes) > 0 }

// newPlan copies every registrable field of td (and its tags), or of file
// when the service's task definition is code (nil: it is not), and
// replaces the image of the target container: image, or its image
// retagged with tag. Neither given (--force-new-deployment alone) keeps the
// image.
func newPlan(td ecstypes.TaskDefinition, tags []ecstypes.Tag, file *ecs.RegisterTaskDefinitionInput, container, image, tag string) (plan, error) {
	p := plan{current: td, input: registerInput(td, tags)}
	if file != nil {
		p.input = fromFile(file, td, tags)
	}
	i, err := imageref.Target(ecstypes.TaskDefinition{TaskDefinitionArn: td.TaskDefinitionArn, ContainerDefinitions: p.input.ContainerDefinitions}, container)
	if err != nil {
		return plan{}, err
	}
	p.container = aws.ToString(p.input.ContainerDefinitions[i].Name)
	from := aws.ToString(p.input.ContainerDefinitions[i].Image)
	p.oldImage = from
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == p.container {
			p.oldImage = aws.ToString(c.Image) // what runs now, which the file may change
		}
	}
	if p.newImage, err = (imageref.Change{Image: image, Tag: tag}).Apply(from); err != nil {
		return plan{}, fmt.Errorf("container %s: %w", p.container, err)
	}
	p.input.ContainerDefinitions[i].Image = aws.String(p.newImage)
	p.changes = Diff(registerInput(td, tags), p.input)
	return p, nil
}

// fromFile is the input a task definition file registers: the file as it
// is, with the family and the tags of the running revision where the file
// names none, so that a file need not repeat them. The file's containers
// are copied, since the plan changes an image.
func fromFile(file *ecs.RegisterTaskDefinitionInput, td ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	in := *file
	in.ContainerDefinitions = slices.Clone(file.ContainerDefinitions)
	if in.Family == nil {
		in.Family = td.Family
	}
	if len(in.Tags) == 0 && len(tags) > 0 {
		in.Tags = tags
	}
	return &in
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

// errContainer is a config problem: the config does not say which container
// to update, or names one the task definition does not have.
type errContainer = imageref.ContainerError

// registerInput copies every field RegisterTaskDefinition accepts from td.
// What ECS sets itself (ARN, revision, status, requiresAttributes,
// compatibilities, registeredAt/By, deregisteredAt) is left out, and so are
// inferenceAccelerators: Elastic Inference is retired and RegisterTaskDefinition
// rejects them.
// TestRegisterInputCopiesEveryField fails when an SDK update adds a field
// that is not copied here.
func registerInput(td ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{
		ContainerDefinitions:          append([]ecstypes.ContainerDefinition(nil), td.ContainerDefinitions...),
		Family:                        td.Family,
		Cpu:                           td.Cpu,
		EnableFaultInjection:          td.EnableFaultInjection,
		EphemeralStorage:              td.EphemeralStorage,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		IpcMode:                       td.IpcMode,
		Memory:                        td.Memory,
		NetworkMode:                   td.NetworkMode,
		PidMode:                       td.PidMode,
		PlacementConstraints:          td.PlacementConstraints,
		ProxyConfiguration:            td.ProxyConfiguration,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		RuntimePlatform:               td.RuntimePlatform,
		TaskRoleArn:                   td.TaskRoleArn,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Volumes:                       td.Volumes,
	}
	if len(tags) > 0 {
		in.Tags = tags
	}
	return in
}
