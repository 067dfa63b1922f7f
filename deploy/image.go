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
	return imageName(image) + ":" + tag, nil
}

// imageName is image without its tag and digest.
func imageName(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		image = image[:colon]
	}
	return image
}
