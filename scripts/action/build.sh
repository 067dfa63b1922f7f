#!/usr/bin/env bash
# Step 2 of the GitHub Action when locate.sh chose to build: build
# cmd/omdeploy from the action's own checkout into $OUT/omdeploy, static and
# with -trimpath as a release is. It runs after actions/setup-go.
#
# Environment: GITHUB_ACTION_PATH (the checkout), OUT (the directory to
# install into), VERSION (the ref being built: a branch, a SHA, or source).
# The binary reports VERSION as its version, VERSION as its commit when it
# is a commit SHA, and the build time as its date.
set -euo pipefail

: "${GITHUB_ACTION_PATH:?}" "${OUT:?}"
version=${VERSION:-source}
ldflags="-s -w -X main.version=$version -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if [[ $version =~ ^[0-9a-f]{7,40}$ ]]; then
	ldflags+=" -X main.commit=$version"
fi
mkdir -p "$OUT"
cd "$GITHUB_ACTION_PATH"
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags "$ldflags" -o "$OUT/omdeploy" ./cmd/omdeploy
echo "omdeploy $version: built from $GITHUB_ACTION_PATH into $OUT"
