#!/usr/bin/env bash
# Step 2 of the GitHub Action when locate.sh chose a release: download that
# release's archive for this runner, check it against the release's
# SHA256SUMS, and install the binary as $OUT/omdeploy. It refuses, with an
# ::error annotation and a non-zero exit, when SHA256SUMS cannot be had,
# does not list the archive, or lists another checksum.
#
# Environment: VERSION (vX.Y.Z), REPO (OWNER/NAME), OS, ARCH (as locate.sh
# names them), OUT (the directory to install into). OMDEPLOY_ACTION_RELEASE_BASE
# replaces https://github.com in the release's URL, for the tests only (they
# serve a fake release on 127.0.0.1); nothing else sets it.
set -euo pipefail

fail() {
	echo "::error title=omdeploy::$*"
	exit 1
}

: "${VERSION:?}" "${REPO:?}" "${OS:?}" "${ARCH:?}" "${OUT:?}"
base=${OMDEPLOY_ACTION_RELEASE_BASE:-https://github.com}
url="${base%/}/$REPO/releases/download/$VERSION"
archive="omdeploy_${VERSION}_${OS}_${ARCH}.tar.gz"

tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/omdeploy-download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fetch() {
	curl -fsSL --retry 3 --connect-timeout 10 --max-time 300 -o "$2" "$1"
}

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

fetch "$url/SHA256SUMS" "$tmp/SHA256SUMS" ||
	fail "could not download SHA256SUMS of omdeploy $VERSION from $url; refusing to run a binary that cannot be verified"
# Lines read "HASH  NAME" (or "HASH *NAME", binary mode).
expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
count=$(grep -c . <<<"$expected" || true)
case "$count" in
0) fail "$archive is not listed in the SHA256SUMS of omdeploy $VERSION; refusing to install it" ;;
1) ;;
*) fail "$archive is listed more than once in the SHA256SUMS of omdeploy $VERSION; refusing to install it" ;;
esac
[[ $expected =~ ^[0-9a-f]{64}$ ]] ||
	fail "the SHA256SUMS of omdeploy $VERSION lists \"$expected\" for $archive, not a SHA-256; refusing to install it"

fetch "$url/$archive" "$tmp/$archive" ||
	fail "could not download $archive of omdeploy $VERSION from $url (no such release, or none for $OS/$ARCH?)"
actual=$(sha256 "$tmp/$archive")
[ "$actual" = "$expected" ] ||
	fail "checksum mismatch for $archive of omdeploy $VERSION: SHA256SUMS says $expected, the download is $actual; refusing to install it"

mkdir -p "$tmp/x" "$OUT"
tar -xzf "$tmp/$archive" -C "$tmp/x" omdeploy ||
	fail "$archive of omdeploy $VERSION has no omdeploy binary at its top"
install -m 0755 "$tmp/x/omdeploy" "$OUT/omdeploy"
echo "omdeploy $VERSION: $archive matches SHA256SUMS (sha256 $actual), installed in $OUT"
