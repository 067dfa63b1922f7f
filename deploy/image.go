package deploy

import (
	"fmt"
	"strings"
)

// withTag replaces the tag of image, keeping its registry (which may carry a
// port, as in host:5000/repo) and dropping a digest: a digest pins other
// content than the tag now names.
func withTag(image, tag string) (string, error) {
	if image == "" {
		return "", fmt.Errorf("the container has no image to retag")
	}
	if tag == "" || strings.ContainsAny(tag, ":@/ ") {
		return "", fmt.Errorf("tag %q is not a valid image tag", tag)
	}
	name, _, _ := splitImage(image)
	if name == "" {
		return "", fmt.Errorf("image %q names no repository to retag", image)
	}
	return name + ":" + tag, nil
}

// splitImage splits an image reference into the name (registry, with any
// port, and repository), the tag and the digest, each without its
// separator. The digest follows the first "@"; the tag follows the last
// ":" of what precedes it, unless a "/" comes later, in which case that
// ":" separates a registry port (host:5000/repo) and there is no tag.
func splitImage(image string) (name, tag, digest string) {
	name = image
	if i := strings.Index(name, "@"); i >= 0 {
		name, digest = name[:i], name[i+1:]
	}
	slash := strings.LastIndex(name, "/")
	if colon := strings.LastIndex(name, ":"); colon > slash {
		name, tag = name[:colon], name[colon+1:]
	}
	return name, tag, digest
}
