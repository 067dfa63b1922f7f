// Package imageref parses container image references and applies a run's
// image change (--image, --tag) to containers. internal/taskdef builds the
// revision a run registers with it, for the deploy engine and preflight
// alike, so the two cannot disagree about the images, and neither has to
// import the other.
package imageref

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// DockerHub is the registry an image reference without a registry host
// names, as Docker and ECS read it.
const DockerHub = "docker.io"

// Ref is an image reference split into its parts, each without its
// separator.
type Ref struct {
	Registry   string // host, with any port; DockerHub when the reference names none
	Repository string // path in the registry; "library/" prefixed for a one-word Docker Hub name
	Tag        string // "" when the reference has none (then Digest, or "latest")
	Digest     string // "algorithm:hex", or ""
}

// Reference is what to ask the registry for: the digest when the reference
// pins one, else its tag, else "latest" (what a pull without either gets).
func (r Ref) Reference() string {
	switch {
	case r.Digest != "":
		return r.Digest
	case r.Tag != "":
		return r.Tag
	}
	return "latest"
}

// TagOrLatest is the tag a pull of r would resolve, "latest" when none is
// named.
func (r Ref) TagOrLatest() string {
	if r.Tag == "" {
		return "latest"
	}
	return r.Tag
}

// String writes r back in its canonical form (registry always shown).
func (r Ref) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// The grammar's pieces, as distribution/reference defines them, without the
// length limits the registries enforce themselves; compiled on first use,
// not at start-up (lazyre).
var (
	tagRE       = lazyre.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE    = lazyre.New(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$`)
	componentRE = lazyre.New(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	hostRE      = lazyre.New(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?$`)
)

// Parse splits and validates an image reference as ECS and Docker read it:
// the first path component is a registry host when it has a "." or a ":"
// or is "localhost"; otherwise the image is on Docker Hub, where a one-word
// name means library/NAME.
func Parse(image string) (Ref, error) {
	name, tag, digest := Split(image)
	if name == "" {
		return Ref{}, fmt.Errorf("image %q names no repository", image)
	}
	if strings.HasSuffix(strings.SplitN(image, "@", 2)[0], ":") {
		return Ref{}, fmt.Errorf("image %q has an empty tag", image)
	}
	if strings.Contains(image, "@") && digest == "" {
		return Ref{}, fmt.Errorf("image %q has an empty digest", image)
	}
	r := Ref{Tag: tag, Digest: digest}
	first, rest, hasSlash := strings.Cut(name, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Registry, r.Repository = first, rest
		if !hostRE().MatchString(r.Registry) {
			return Ref{}, fmt.Errorf("image %q: %q is not a registry host", image, r.Registry)
		}
	} else {
		r.Registry, r.Repository = DockerHub, name
		if !hasSlash {
			r.Repository = "library/" + name
		}
	}
	for _, c := range strings.Split(r.Repository, "/") {
		if !componentRE().MatchString(c) {
			return Ref{}, fmt.Errorf("image %q: repository %q is not valid (lowercase letters, digits and . _ - between them)", image, r.Repository)
		}
	}
	if tag != "" && !tagRE().MatchString(tag) {
		return Ref{}, fmt.Errorf("image %q: tag %q is not valid", image, tag)
	}
	if digest != "" && !digestRE().MatchString(digest) {
		return Ref{}, fmt.Errorf("image %q: digest %q is not valid (want algorithm:hex)", image, digest)
	}
	return r, nil
}

// Split splits an image reference into the name (registry, with any port,
// and repository), the tag and the digest, each without its separator. The
// digest follows the first "@"; the tag follows the last ":" of what
// precedes it, unless a "/" comes later, in which case that ":" separates a
// registry port (host:5000/repo) and there is no tag. It never fails:
// Parse validates.
func Split(image string) (name, tag, digest string) {
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

// WithTag replaces the tag of image, keeping its registry (which may carry
// a port, as in host:5000/repo) and dropping a digest: a digest pins other
// content than the tag now names.
func WithTag(image, tag string) (string, error) {
	if image == "" {
		return "", fmt.Errorf("the container has no image to retag")
	}
	if tag == "" || strings.ContainsAny(tag, ":@/ ") {
		return "", fmt.Errorf("tag %q is not a valid image tag", tag)
	}
	name, _, _ := Split(image)
	if name == "" {
		return "", fmt.Errorf("image %q names no repository to retag", image)
	}
	return name + ":" + tag, nil
}

// Pin returns image with its tag kept and digest set: name:tag@digest runs
// exactly digest, and still says which tag it came from. The later
// pin_digest option registers this form.
func Pin(image, digest string) string {
	name, tag, _ := Split(image)
	if tag != "" {
		name += ":" + tag
	}
	return name + "@" + digest
}

// ecrHostRE matches a private ECR registry host: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com
// (or .com.cn in China).
var ecrHostRE = lazyre.New(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ECR is where a private ECR image lives: the registry's account (ECR's
// registryId) and region.
type ECR struct {
	Account string
	Region  string
}

// ECROf reports whether r is in a private ECR registry, and which.
func ECROf(r Ref) (ECR, bool) {
	m := ecrHostRE().FindStringSubmatch(r.Registry)
	if m == nil {
		return ECR{}, false
	}
	return ECR{Account: m[1], Region: m[2]}, true
}
