package imageref

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Change is what a run changes in the target container: Image replaces its
// image (--image), Tag retags the current one (--tag). Neither
// (--force-new-deployment alone) keeps every image.
type Change struct {
	Image string
	Tag   string
}

// Apply returns the image the target container runs after the change,
// given the one it runs now.
func (c Change) Apply(current string) (string, error) {
	switch {
	case c.Image != "":
		return c.Image, nil
	case c.Tag != "":
		return WithTag(current, c.Tag)
	}
	return current, nil
}

// ContainerError is a config problem: the config does not say which
// container to update, or names one the task definition does not have.
type ContainerError struct{ Msg string }

func (e *ContainerError) Error() string { return e.Msg }

// Target finds the container to update in td: the one named, or the only
// one. A *ContainerError says why there is none.
func Target(td ecstypes.TaskDefinition, name string) (int, error) {
	names := make([]string, len(td.ContainerDefinitions))
	for i, c := range td.ContainerDefinitions {
		names[i] = aws.ToString(c.Name)
		if name != "" && names[i] == name {
			return i, nil
		}
	}
	arn := aws.ToString(td.TaskDefinitionArn)
	switch {
	case len(names) == 0:
		return 0, &ContainerError{fmt.Sprintf("task definition %s has no containers", arn)}
	case name != "":
		return 0, &ContainerError{fmt.Sprintf("container %q is not in task definition %s (containers: %s); fix `container:` in the config", name, arn, strings.Join(names, ", "))}
	case len(names) > 1:
		return 0, &ContainerError{fmt.Sprintf("task definition %s has %d containers (%s); set `container:` in the config to the one to update", arn, len(names), strings.Join(names, ", "))}
	}
	return 0, nil
}

// Planned is one container of the new revision and the image it will run.
type Planned struct {
	Container string
	Image     string
	Changed   bool // the run's change replaced this container's image
}

// Plan lists every container of the revision a run registers from td, with
// the change applied to the target container (the one named, or the only
// one). The other containers keep their images. When the change is empty
// no target is needed: a task definition with several containers and no
// `container:` keeps them all.
func Plan(td ecstypes.TaskDefinition, container string, c Change) ([]Planned, error) {
	out := make([]Planned, len(td.ContainerDefinitions))
	for i, cd := range td.ContainerDefinitions {
		out[i] = Planned{Container: aws.ToString(cd.Name), Image: aws.ToString(cd.Image)}
	}
	if c == (Change{}) {
		return out, nil
	}
	i, err := Target(td, container)
	if err != nil {
		return nil, err
	}
	img, err := c.Apply(out[i].Image)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", out[i].Container, err)
	}
	out[i].Image, out[i].Changed = img, img != out[i].Image
	return out, nil
}
