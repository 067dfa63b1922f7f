package deploy

import (
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
	changes   []result.Change        // input against the current revision, field by field
	images    []result.ContainerPlan // the running containers whose image changes
}

// changed reports whether a new revision must be registered.
func (p plan) changed() bool { return p.oldImage != p.newImage || len(p.changes) > 0 }

// newPlan copies every registrable field of td (and its tags), or of file
// when the service's task definition is code (nil: it is not), and applies
// ch: the target container's image replaced or retagged, and the named
// containers'. No change (--force-new-deployment alone) keeps the images.
// The plan's container is the target, or with only named changes the first
// named one.
func newPlan(td ecstypes.TaskDefinition, tags []ecstypes.Tag, file *ecs.RegisterTaskDefinitionInput, container string, ch imageref.Change) (plan, error) {
	p := plan{current: td, input: registerInput(td, tags)}
	if file != nil {
		p.input = fromFile(file, td, tags)
	}
	cds := p.input.ContainerDefinitions
	i, target := -1, -1
	if names := ch.Names(); ch.Target().IsZero() && len(names) > 0 {
		i = slices.IndexFunc(cds, func(c ecstypes.ContainerDefinition) bool { return aws.ToString(c.Name) == names[0] })
	}
	if i < 0 {
		var err error
		if i, err = imageref.Target(ecstypes.TaskDefinition{TaskDefinitionArn: td.TaskDefinitionArn, ContainerDefinitions: cds}, container); err != nil {
			return plan{}, err
		}
		target = i
	}
	p.container = aws.ToString(cds[i].Name)
	p.oldImage = aws.ToString(cds[i].Image)
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == p.container {
			p.oldImage = aws.ToString(c.Image) // what runs now, which the file may change
		}
	}
	if err := ch.ApplyTo(cds, target); err != nil {
		return plan{}, err
	}
	p.newImage = aws.ToString(cds[i].Image)
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
