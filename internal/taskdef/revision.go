package taskdef

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/imageref"
)

// Revision is the revision a run registers for one service, before it is
// registered: what the deploy engine registers, what plan and render show
// and what preflight checks the images and load balancer wiring of. One
// builder (Next) makes it for all of them, so they cannot disagree.
type Revision struct {
	Input *ecs.RegisterTaskDefinitionInput
	// Container is the index in Input.ContainerDefinitions of the
	// container the plan names: the target container, or with only named
	// changes the first one named; -1 when the run changes no image and
	// the revision has several containers and no `container:`, which only
	// the checks can do without (TargetErr says why there is none).
	Container int
	TargetErr error
}

// Next builds the revision a run registers: every registrable field of the
// live task definition td (and its tags), or the task definition file
// when the service has one (nil: it has not), with ch applied: the target
// container's image replaced or retagged, and the named containers'. No
// change (--force-new-deployment alone) keeps the images. A *imageref.ContainerError
// is a config problem: which container to change is unclear or unknown.
func Next(td ecstypes.TaskDefinition, tags []ecstypes.Tag, file *ecs.RegisterTaskDefinitionInput, container string, ch imageref.Change) (Revision, error) {
	in := RegisterInput(td, tags)
	if file != nil {
		in = fromFile(file, td, tags)
	}
	cds := in.ContainerDefinitions
	asTD := ecstypes.TaskDefinition{TaskDefinitionArn: td.TaskDefinitionArn, ContainerDefinitions: cds}
	target := -1
	if !ch.Target().IsZero() {
		var err error
		if target, err = imageref.Target(asTD, container); err != nil {
			return Revision{}, err
		}
	}
	i := target
	if names := ch.Names(); i < 0 && len(names) > 0 {
		i = slices.IndexFunc(cds, func(c ecstypes.ContainerDefinition) bool { return aws.ToString(c.Name) == names[0] })
	}
	if err := ch.ApplyTo(cds, target); err != nil {
		return Revision{}, err // a named container that is not there, or a bad tag
	}
	if i < 0 {
		var err error
		if i, err = imageref.Target(asTD, container); err != nil {
			// No image changes, so the revision needs no target.
			return Revision{Input: in, Container: -1, TargetErr: err}, nil
		}
	}
	return Revision{Input: in, Container: i}, nil
}

// TaskDefinition is the revision as DescribeTaskDefinition would show it
// once registered, for the checks that read a task definition; arn names
// it in their messages.
func (r Revision) TaskDefinition(arn string) *ecstypes.TaskDefinition {
	in := r.Input
	return &ecstypes.TaskDefinition{
		TaskDefinitionArn:             aws.String(arn),
		ContainerDefinitions:          in.ContainerDefinitions,
		Family:                        in.Family,
		Cpu:                           in.Cpu,
		EnableFaultInjection:          in.EnableFaultInjection,
		EphemeralStorage:              in.EphemeralStorage,
		ExecutionRoleArn:              in.ExecutionRoleArn,
		IpcMode:                       in.IpcMode,
		Memory:                        in.Memory,
		NetworkMode:                   in.NetworkMode,
		PidMode:                       in.PidMode,
		PlacementConstraints:          in.PlacementConstraints,
		ProxyConfiguration:            in.ProxyConfiguration,
		RequiresCompatibilities:       in.RequiresCompatibilities,
		RuntimePlatform:               in.RuntimePlatform,
		TaskRoleArn:                   in.TaskRoleArn,
		TrustedExecutionConfiguration: in.TrustedExecutionConfiguration,
		Volumes:                       in.Volumes,
	}
}

// Pin replaces each container's image by imageref.Pin(image, digest) with
// the digest digests holds for that image (image reference → digest, as
// preflight's images.exist resolved them), so the revision runs exactly
// what was checked. An image that names a digest already is kept. It
// returns the containers whose image has no digest, unpinned.
func (r Revision) Pin(digests map[string]string) (unresolved []string) {
	for i, c := range r.Input.ContainerDefinitions {
		img := aws.ToString(c.Image)
		if _, _, d := imageref.Split(img); d != "" {
			continue
		}
		d := digests[img]
		if d == "" {
			unresolved = append(unresolved, aws.ToString(c.Name)+" ("+img+")")
			continue
		}
		r.Input.ContainerDefinitions[i].Image = aws.String(imageref.Pin(img, d))
	}
	return unresolved
}

// fromFile is the input a task definition file registers: the file as it
// is, with the family and the tags of the running revision where the file
// names none, so that a file need not repeat them. The file's containers
// are copied, since the revision changes images.
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

// RegisterInput copies every field RegisterTaskDefinition accepts from td,
// with tags: the input that registers td again. What ECS sets itself (ARN,
// revision, status, requiresAttributes, compatibilities, registeredAt/By,
// deregisteredAt) is left out, and so are inferenceAccelerators: Elastic
// Inference is retired and RegisterTaskDefinition rejects them. The
// containers are copied, so a change to the input's images leaves td's.
// deploy's TestRegisterInputCopiesEveryField fails when an SDK update adds
// a field that is not copied here.
func RegisterInput(td ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
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
