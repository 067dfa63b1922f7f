package app

import (
	"cmp"
	"runtime/debug"
	"time"

	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// What version reports when neither the linker nor the build info knows.
const (
	unknownVersion = "dev"
	unknownCommit  = "none"
	unknownDate    = "unknown"
)

// pseudoVersion matches the tail of a Go module pseudo-version
// (v0.0.0-20260101120000-0123456789ab, also v1.2.4-0.2026…): the commit's
// UTC time and its 12-hex-digit revision prefix. Go 1.24 and later add
// +dirty to a build from a modified checkout.
var pseudoVersion = lazyre.New(`[-.](\d{14})-([0-9a-f]{12})(?:\+incompatible)?(?:\+dirty)?$`)

// ResolveBuild fills each field the linker left empty from info, the build
// information the Go toolchain embeds (debug.ReadBuildInfo; nil when there
// is none), so that a `go install …/cmd/omdeploy@v1.2.0` binary reports
// v1.2.0 rather than dev. A field the linker set (make build, the release)
// always wins.
//
//   - Version: the main module's version (v1.2.0, or a pseudo-version for a
//     commit); "(devel)", the version of a build inside a checkout, does not count.
//   - Commit: the vcs.revision setting, with "-dirty" when vcs.modified is
//     true; else the revision a pseudo-version names.
//   - Date: the vcs.time setting; else the time a pseudo-version names.
//
// What stays unknown reads dev, none and unknown.
func ResolveBuild(linked Build, info *debug.BuildInfo) Build {
	b := linked
	if info != nil {
		var revision, vcsTime, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		version := info.Main.Version
		if version == "(devel)" {
			version = ""
		}
		if m := pseudoVersion().FindStringSubmatch(version); m != nil {
			if revision == "" {
				revision = m[2]
			}
			if t, err := time.Parse("20060102150405", m[1]); vcsTime == "" && err == nil {
				vcsTime = t.UTC().Format(time.RFC3339)
			}
		}
		if revision != "" && modified == "true" {
			revision += "-dirty"
		}
		b.Version = cmp.Or(b.Version, version)
		b.Commit = cmp.Or(b.Commit, revision)
		b.Date = cmp.Or(b.Date, vcsTime)
	}
	b.Version = cmp.Or(b.Version, unknownVersion)
	b.Commit = cmp.Or(b.Commit, unknownCommit)
	b.Date = cmp.Or(b.Date, unknownDate)
	return b
}
