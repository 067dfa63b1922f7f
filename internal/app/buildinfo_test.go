package app

import (
	"runtime/debug"
	"testing"
)

func TestResolveBuild(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	info := func(version string, settings []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/omdeploy/omdeploy", Version: version}, Settings: settings}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name   string
		linked Build
		info   *debug.BuildInfo
		want   Build
	}{
		{
			name: "no linker flags and no build info",
			want: Build{Version: "dev", Commit: "none", Date: "unknown"},
		},
		{
			name: "go install of a release: module version, no VCS data",
			info: info("v1.2.0", nil),
			want: Build{Version: "v1.2.0", Commit: "none", Date: "unknown"},
		},
		{
			name: "go install of a commit: the pseudo-version names revision and time",
			info: info("v0.0.0-20260102030405-0123456789ab", nil),
			want: Build{Version: "v0.0.0-20260102030405-0123456789ab", Commit: "0123456789ab", Date: "2026-01-02T03:04:05Z"},
		},
		{
			name: "pseudo-version after a tag",
			info: info("v1.2.1-0.20260102030405-0123456789ab", nil),
			want: Build{Version: "v1.2.1-0.20260102030405-0123456789ab", Commit: "0123456789ab", Date: "2026-01-02T03:04:05Z"},
		},
		{
			name: "build in a checkout: (devel) and VCS settings",
			info: info("(devel)", vcs("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-03-04T05:06:07Z", "vcs.modified", "false")),
			want: Build{Version: "dev", Commit: rev, Date: "2026-03-04T05:06:07Z"},
		},
		{
			name: "modified checkout marks the commit dirty",
			info: info("v0.0.0-20260304050607-0123456789ab+dirty", vcs("vcs.revision", rev, "vcs.time", "2026-03-04T05:06:07Z", "vcs.modified", "true")),
			want: Build{Version: "v0.0.0-20260304050607-0123456789ab+dirty", Commit: rev + "-dirty", Date: "2026-03-04T05:06:07Z"},
		},
		{
			name:   "linker flags win over build info",
			linked: Build{Version: "v9.9.9", Commit: "abc1234", Date: "2026-12-01T00:00:00Z"},
			info:   info("v1.2.0", vcs("vcs.revision", rev, "vcs.time", "2026-03-04T05:06:07Z")),
			want:   Build{Version: "v9.9.9", Commit: "abc1234", Date: "2026-12-01T00:00:00Z"},
		},
		{
			name:   "each field falls back on its own",
			linked: Build{Version: "v9.9.9"},
			info:   info("v1.2.0", vcs("vcs.revision", rev)),
			want:   Build{Version: "v9.9.9", Commit: rev, Date: "unknown"},
		},
		{
			name: "a release version that merely contains digits is not a pseudo-version",
			info: info("v1.20260102030405.0", nil),
			want: Build{Version: "v1.20260102030405.0", Commit: "none", Date: "unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveBuild(tt.linked, tt.info); got != tt.want {
				t.Errorf("ResolveBuild() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
