package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Manifest media types a registry may answer with; Accept lists them all,
// so a registry sends an index (multi-platform) where it has one.
const (
	MediaOCIIndex          = "application/vnd.oci.image.index.v1+json"
	MediaDockerList        = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaOCIManifest       = "application/vnd.oci.image.manifest.v1+json"
	MediaDockerManifest    = "application/vnd.docker.distribution.manifest.v2+json"
	mediaDockerSchema1     = "application/vnd.docker.distribution.manifest.v1+json"
	mediaDockerSchema1JSON = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// MediaTypes are the manifest types omdeploy reads, indexes first.
var MediaTypes = []string{MediaOCIIndex, MediaDockerList, MediaOCIManifest, MediaDockerManifest}

// Platform is an image's operating system and CPU architecture, in OCI's
// words (linux, amd64, arm64).
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// String writes os/architecture[/variant].
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Manifest is what a registry holds under a reference.
type Manifest struct {
	Digest    string // of the manifest (or index) the reference names
	MediaType string
	// Platforms lists an index's images; it is empty for a single
	// manifest, whose platform is in its config blob (Config).
	Platforms []Platform
	Config    string // a single manifest's config blob digest
}

// IsIndex reports whether m lists images for several platforms.
func (m Manifest) IsIndex() bool {
	return m.MediaType == MediaOCIIndex || m.MediaType == MediaDockerList
}

// ParseManifest reads a manifest or index body. mediaType is the one the
// registry declared (Content-Type, or ECR's imageManifestMediaType); when
// empty, the body's own mediaType field decides.
func ParseManifest(mediaType string, body []byte) (Manifest, error) {
	var doc struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        struct {
			Digest string `json:"digest"`
		} `json:"config"`
		Manifests []struct {
			Platform *Platform `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Manifest{}, fmt.Errorf("parse manifest: %w", err)
	}
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.TrimSpace(mt)
	if mt == "" || mt == "application/json" {
		mt = doc.MediaType
	}
	if mt == "" {
		// An OCI manifest may omit mediaType; its shape tells.
		switch {
		case doc.Manifests != nil:
			mt = MediaOCIIndex
		case doc.Config.Digest != "":
			mt = MediaOCIManifest
		}
	}
	m := Manifest{MediaType: mt}
	switch mt {
	case MediaOCIIndex, MediaDockerList:
		for _, e := range doc.Manifests {
			// Attestation manifests (buildx's provenance) list
			// unknown/unknown: they are not an image to run.
			if e.Platform == nil || e.Platform.OS == "unknown" || e.Platform.OS == "" {
				continue
			}
			if !slices.Contains(m.Platforms, *e.Platform) {
				m.Platforms = append(m.Platforms, *e.Platform)
			}
		}
	case MediaOCIManifest, MediaDockerManifest:
		if doc.Config.Digest == "" {
			return Manifest{}, fmt.Errorf("manifest of type %s names no config blob", mt)
		}
		m.Config = doc.Config.Digest
	case mediaDockerSchema1, mediaDockerSchema1JSON:
		return Manifest{}, fmt.Errorf("manifest is Docker schema 1 (%s), which names no platform", mt)
	default:
		return Manifest{}, fmt.Errorf("manifest media type %q is not an image manifest", mt)
	}
	return m, nil
}

// ParseConfig reads the platform from an image config blob.
func ParseConfig(body []byte) (Platform, error) {
	var p Platform
	if err := json.Unmarshal(body, &p); err != nil {
		return Platform{}, fmt.Errorf("parse image config: %w", err)
	}
	if p.OS == "" || p.Architecture == "" {
		return Platform{}, fmt.Errorf("image config names no os/architecture")
	}
	return p, nil
}
