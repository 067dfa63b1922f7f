package imageref

import (
	"strings"
	"testing"
)

// joinImage is the inverse of Split for references whose tag and
// digest are each either absent or non-empty.
func joinImage(name, tag, digest string) string {
	s := name
	if tag != "" {
		s += ":" + tag
	}
	if digest != "" {
		s += "@" + digest
	}
	return s
}

// FuzzImage checks splitting, parsing and retagging image references: no
// panic; a reference Parse accepts writes back (String) to one that parses
// to the same parts; an ECR registry's account is twelve digits;
// the parts join back into the input (unless it has an empty tag or digest,
// as in "repo:" or "repo@", which have no such part to give back); and
// retagging keeps the name, registry port included, sets exactly the new
// tag and drops the digest.
func FuzzImage(f *testing.F) {
	for _, s := range []string{"repo/app:v1", "repo/app", "host:5000/repo/app:v1", "host:5000/repo/app",
		"repo/app@sha256:abcd", "host:5000/app:v1@sha256:abcd", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:2024-01",
		"app", ":v1", "@sha256:x", "repo:", "repo@", "a:b/c", "localhost:5000"} {
		f.Add(s, "v2")
	}
	f.Fuzz(func(t *testing.T, image, tag string) {
		name, oldTag, digest := Split(image)
		beforeAt, _, hasAt := strings.Cut(image, "@")
		emptyPart := strings.HasSuffix(beforeAt, ":") || (hasAt && digest == "")
		if got := joinImage(name, oldTag, digest); !emptyPart && got != image {
			t.Fatalf("Split(%q) = %q, %q, %q, which join to %q", image, name, oldTag, digest, got)
		}
		if strings.Contains(name, "@") || strings.Contains(oldTag, "/") || strings.Contains(oldTag, ":") {
			t.Fatalf("Split(%q) = %q, %q, %q: a separator inside a part", image, name, oldTag, digest)
		}

		if r, err := Parse(image); err == nil {
			if r.Registry == "" || r.Repository == "" {
				t.Fatalf("Parse(%q) = %+v: empty registry or repository", image, r)
			}
			again, err := Parse(r.String())
			if err != nil || again != r {
				t.Fatalf("Parse(%q) = %+v, written %q, parses to %+v, %v", image, r, r.String(), again, err)
			}
			if e, ok := ECROf(r); ok && (len(e.Account) != 12 || e.Region == "") {
				t.Fatalf("ECROf(%q) = %+v", image, e)
			}
		}

		out, err := WithTag(image, tag)
		validTag := tag != "" && !strings.ContainsAny(tag, ":@/ ")
		if err != nil {
			if validTag && name != "" {
				t.Fatalf("WithTag(%q, %q): %v", image, tag, err)
			}
			return
		}
		if !validTag || name == "" {
			t.Fatalf("WithTag(%q, %q) = %q: want an error", image, tag, out)
		}
		n2, t2, d2 := Split(out)
		if n2 != name || t2 != tag || d2 != "" {
			t.Fatalf("WithTag(%q, %q) = %q: name %q tag %q digest %q, want name %q tag %q and no digest", image, tag, out, n2, t2, d2, name, tag)
		}
		if registry, _, ok := strings.Cut(name, "/"); ok && !strings.HasPrefix(out, registry+"/") {
			t.Fatalf("WithTag(%q, %q) = %q lost the registry %q", image, tag, out, registry)
		}
	})
}
