#!/usr/bin/env bash
# Builds the release archives locally, named as the release
# (.goreleaser.yaml) names them: static omdeploy binaries (CGO_ENABLED=0,
# -trimpath) for linux and darwin on amd64 and arm64, each in
# dist/omdeploy_VERSION_OS_ARCH.tar.gz with the binary at the top (mode
# 0755), and windows/amd64 in dist/omdeploy_VERSION_windows_amd64.zip
# (omdeploy.exe); README.md and LICENSE in each when present; and
# dist/SHA256SUMS. It then checks every archive: an executable omdeploy
# inside, and for the machine's own platform, that it runs and reports
# VERSION. The zip needs the zip command.
#
# usage: scripts/dist.sh VERSION COMMIT DATE   (make dist fills them in)
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 VERSION COMMIT DATE" >&2
	exit 2
fi
version=$1 commit=$2 date=$3
cd "$(dirname "$0")/.."
root=$PWD

targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64)
ldflags="-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v zip >/dev/null; then
	echo "dist: the windows archive needs zip (apt-get install zip)" >&2
	exit 1
fi

rm -rf dist
mkdir -p dist

# GNU tar can make the archives reproducible: fixed owner, order and time.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
tar_flags=()
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
	tar_flags=(--owner=0 --group=0 --numeric-owner --sort=name --mtime="@$epoch")
fi

build() {
	local os=${1%/*} arch=${1#*/}
	local name="omdeploy_${version}_${os}_${arch}"
	local stage="$work/$name"
	local exe=omdeploy
	if [ "$os" = windows ]; then exe=omdeploy.exe; fi
	mkdir -p "$stage"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -tags urfave_cli_no_docs -ldflags "$ldflags" -o "$stage/$exe" ./cmd/omdeploy
	chmod 0755 "$stage/$exe"
	local files=("$exe")
	for f in README.md LICENSE; do
		if [ -f "$f" ]; then
			cp "$f" "$stage/" && chmod 0644 "$stage/$f"
			files+=("$f")
		fi
	done
	if [ "$os" = windows ]; then
		# -X: no extra attributes; the files' time is the commit's, as in the tarballs.
		touch -d "@$epoch" "${files[@]/#/$stage/}" 2>/dev/null || true
		(cd "$stage" && zip -q -X "$root/dist/$name.zip" "${files[@]}")
	else
		tar ${tar_flags[@]+"${tar_flags[@]}"} -C "$stage" -czf "dist/$name.tar.gz" "${files[@]}"
	fi
}

# The targets share the build cache, so building them side by side is
# faster than one after the other.
pids=()
for t in "${targets[@]}"; do
	build "$t" &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid"
done

(
	cd dist
	if command -v sha256sum >/dev/null; then
		sha256sum ./*.tar.gz ./*.zip | sed 's| \./| |' >SHA256SUMS
	else
		shasum -a 256 ./*.tar.gz ./*.zip | sed 's| \./| |' >SHA256SUMS
	fi
)

# Check what was built.
host="$(go env GOOS)/$(go env GOARCH)"
for t in "${targets[@]}"; do
	os=${t%/*} arch=${t#*/}
	if [ "$os" = windows ]; then
		archive="dist/omdeploy_${version}_${os}_${arch}.zip"
		if ! unzip -Z1 "$archive" | grep -qx 'omdeploy.exe'; then
			echo "dist: $archive has no omdeploy.exe" >&2
			exit 1
		fi
		continue
	fi
	archive="dist/omdeploy_${version}_${os}_${arch}.tar.gz"
	listing=$(tar -tvzf "$archive")
	if ! grep -Eq '^-rwxr-xr-x .* omdeploy$' <<<"$listing"; then
		echo "dist: $archive has no executable omdeploy (mode 0755):" >&2
		echo "$listing" >&2
		exit 1
	fi
	if [ "$t" = "$host" ]; then
		check="$work/check"
		mkdir -p "$check"
		tar -xzf "$archive" -C "$check"
		if ! grep -q "omdeploy $version " <<<"$("$check/omdeploy" version)"; then
			echo "dist: $archive: omdeploy version does not report $version" >&2
			exit 1
		fi
	fi
done
(cd dist && { sha256sum -c SHA256SUMS 2>/dev/null || shasum -a 256 -c SHA256SUMS; } >/dev/null)

ls -l dist
