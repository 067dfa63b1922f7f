package imageref

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Change is what a run changes in the containers: Image replaces the target
// container's image (--image REF), Tag retags its current one (--tag TAG);
// Images and Tags do the same for containers by name (--image NAME=REF,
// --tag NAME=TAG), several in one revision. None (--force-new-deployment
// alone) keeps every image.
type Change struct {
	Image  string
	Tag    string
	Images map[string]string // container name → image
	Tags   map[string]string // container name → tag
}

// IsZero reports whether c changes no image.
func (c Change) IsZero() bool {
	return c.Image == "" && c.Tag == "" && len(c.Images) == 0 && len(c.Tags) == 0
}

// Target is the part of c that changes the target container.
func (c Change) Target() Change { return Change{Image: c.Image, Tag: c.Tag} }

// named is the part of c that changes the container called name.
func (c Change) named(name string) Change {
	return Change{Image: c.Images[name], Tag: c.Tags[name]}
}

// Names lists the containers c changes by name, sorted.
func (c Change) Names() []string {
	var names []string
	for n := range c.Images {
		names = append(names, n)
	}
	for n := range c.Tags {
		if _, ok := c.Images[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// ParseChange reads the values of --image and --tag: a bare REF or TAG is
// the target container's (at most one of each), NAME=REF or NAME=TAG a
// named container's. An image reference never holds "=", so one in a
// value names a container. A container given both an image and a tag, or
// twice, is refused: which would win is a guess.
func ParseChange(images, tags []string) (Change, error) {
	var c Change
	add := func(flag string, values []string, bare *string, named *map[string]string) error {
		for _, v := range values {
			name, val, ok := strings.Cut(v, "=")
			switch {
			case !ok && *bare != "":
				return fmt.Errorf("--%s %s: the target container already gets %s; name the others as --%s NAME=VALUE", flag, v, *bare, flag)
			case !ok:
				*bare = v
				continue
			case name == "" || val == "" || strings.ContainsAny(name, " :/@"):
				return fmt.Errorf("--%s %q: want NAME=VALUE with a container name", flag, v)
			}
			if _, dup := (*named)[name]; dup {
				return fmt.Errorf("--%s %s: container %s is given twice", flag, v, name)
			}
			if *named == nil {
				*named = map[string]string{}
			}
			(*named)[name] = val
		}
		return nil
	}
	if err := add("image", images, &c.Image, &c.Images); err != nil {
		return Change{}, err
	}
	if err := add("tag", tags, &c.Tag, &c.Tags); err != nil {
		return Change{}, err
	}
	for n := range c.Tags {
		if _, ok := c.Images[n]; ok {
			return Change{}, fmt.Errorf("container %s is given both --image and --tag; give one", n)
		}
	}
	return c, nil
}

// ApplyTo sets the images c gives in containers (a copy's, which it
// modifies), target being the target container's index (-1: none needed,
// when c changes none by target). A name no container has is a
// *ContainerError.
func (c Change) ApplyTo(containers []ecstypes.ContainerDefinition, target int) error {
	if tc := c.Target(); !tc.IsZero() {
		img, err := tc.Apply(aws.ToString(containers[target].Image))
		if err != nil {
			return fmt.Errorf("container %s: %w", aws.ToString(containers[target].Name), err)
		}
		containers[target].Image = aws.String(img)
	}
	for _, name := range c.Names() {
		i := slices.IndexFunc(containers, func(cd ecstypes.ContainerDefinition) bool { return aws.ToString(cd.Name) == name })
		if i < 0 {
			names := make([]string, len(containers))
			for j, cd := range containers {
				names[j] = aws.ToString(cd.Name)
			}
			return &ContainerError{fmt.Sprintf("container %q is not in the task definition (containers: %s)", name, strings.Join(names, ", "))}
		}
		img, err := c.named(name).Apply(aws.ToString(containers[i].Image))
		if err != nil {
			return fmt.Errorf("container %s: %w", name, err)
		}
		containers[i].Image = aws.String(img)
	}
	return nil
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
