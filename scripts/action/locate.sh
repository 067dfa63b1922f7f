#!/usr/bin/env bash
# Step 1 of the GitHub Action (action.yml): decide where omdeploy comes from.
#
#   release: the action was used at a release tag (uses: OWNER/omdeploy@v1.2.0)
#            with version auto, or version names a tag: download.sh fetches
#            that release's archive and checks it against SHA256SUMS.
#   build:   any other ref (a branch, a commit SHA, a local path), or
#            version: source: build.sh builds cmd/omdeploy from the action's
#            own checkout.
#
# Environment: VERSION (the version input: auto or empty, source, or vX.Y.Z),
# and what the runner sets: GITHUB_ACTION_PATH, GITHUB_ACTION_REF,
# GITHUB_ACTION_REPOSITORY, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT.
# Outputs: mode (release|build), version (the tag, or the ref being built),
# repo, os, arch, key (the binary's cache key), dir (where the binary goes).
set -euo pipefail

fail() {
	echo "::error title=omdeploy::$*"
	exit 1
}

case "${RUNNER_OS:-}" in
Linux) os=linux ;;
macOS) os=darwin ;;
*) fail "runners on ${RUNNER_OS:-an unknown OS} are not supported; use Linux or macOS" ;;
esac
case "${RUNNER_ARCH:-}" in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) fail "runner architecture ${RUNNER_ARCH:-unknown} is not supported; use X64 or ARM64" ;;
esac

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
action_path=${action_path%/}
ref=${GITHUB_ACTION_REF:-}
repo=${GITHUB_ACTION_REPOSITORY:-}
# In a composite action the runner leaves GITHUB_ACTION_REF and
# GITHUB_ACTION_REPOSITORY empty (actions/runner#2473); it checks the action
# out at .../_actions/OWNER/REPO/REF, so read them from the path. A ref with a
# slash (a branch such as feature/x) does not fit that shape and is built.
if [ -z "$ref" ] || [ -z "$repo" ]; then
	parent=${action_path%/*}
	grand=${parent%/*}
	great=${grand%/*}
	if [ "${great##*/}" = _actions ]; then
		ref=${ref:-${action_path##*/}}
		repo=${repo:-${grand##*/}/${parent##*/}}
	fi
fi
repo=${repo:-omdeploy/omdeploy}

# A release tag: vMAJOR.MINOR.PATCH, optionally -prerelease. v1 alone is not one.
is_release() {
	[[ $1 =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]
}

requested=${VERSION:-auto}
case "$requested" in
auto)
	if [ -n "$ref" ] && is_release "$ref"; then
		mode=release version=$ref
	else
		mode=build version=${ref:-source}
	fi
	;;
source) mode=build version=${ref:-source} ;;
*)
	is_release "$requested" || fail "version must be auto, source or a release tag such as v1.2.0, not \"$requested\""
	mode=release version=$requested
	;;
esac

if [ "$mode" = build ]; then
	# The cache key follows the action's sources, so each ref is built once.
	sum=$(cd "$action_path" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -not -path './.git/*' |
		LC_ALL=C sort | xargs cat | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-16)
	key="omdeploy-$os-$arch-source-$sum"
else
	key="omdeploy-$os-$arch-$version"
fi

echo "omdeploy: $mode $version ($repo, $os/$arch)"
{
	echo "mode=$mode"
	echo "version=$version"
	echo "repo=$repo"
	echo "os=$os"
	echo "arch=$arch"
	# One directory per key: two uses of the action in a job (two versions)
	# must not save one binary under the other's cache key.
	echo "dir=${RUNNER_TEMP:?RUNNER_TEMP is not set}/omdeploy/$key"
	echo "key=$key"
} >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
