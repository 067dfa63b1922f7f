#!/usr/bin/env bash
# make fuzz [FUZZTIME=30s]: runs each fuzz target for a bounded time, one
# `go test -fuzz` per target because -fuzz takes one target per package.
# A failing input is written to the package's testdata/fuzz/FuzzXxx/; commit
# it with the fix so that `go test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}

targets=(
	./config/:FuzzParse
	./config/:FuzzExpand
	./internal/imageref/:FuzzImage
	./internal/imageref/:FuzzParseChange
	./internal/registry/:FuzzParseManifest
	./internal/secretref/:FuzzParse
	./internal/taskdef/:FuzzParse
	./healthcheck/:FuzzClassify
	./healthcheck/:FuzzRedact
)
# A new target must be listed above, or it would never fuzz.
listed=$(printf '%s\n' "${targets[@]##*:}" | sort)
found=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's/^func //' | sort)
if [ "$listed" != "$found" ]; then
	echo "fuzz: scripts/fuzz.sh lists other targets than the tests define:" >&2
	diff <(echo "$listed") <(echo "$found") >&2 || true
	exit 1
fi

# fuzz_once runs one target; its output goes to the terminal and to $log.
log=$(mktemp -t fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT
fuzz_once() {
	go test -run='^$' -fuzz="^${2}\$" -fuzztime="$fuzztime" "$1" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

for t in "${targets[@]}"; do
	pkg=${t%%:*} name=${t##*:}
	echo "fuzz: $name in $pkg for $fuzztime"
	if fuzz_once "$pkg" "$name"; then
		continue
	fi
	# Go 1.26's fuzz coordinator can report its own -fuzztime deadline as
	# a failure ("context deadline exceeded") when a loaded machine keeps a
	# worker from stopping in time (go.dev/issue/75804, fixed in Go 1.27).
	# That failure writes no input; a real finding always does. Only then,
	# run the target once more, and fail if it fails again.
	if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written to' "$log"; then
		echo "fuzz: $name: the coordinator's deadline race (go.dev/issue/75804), no failing input written; running it once more"
		fuzz_once "$pkg" "$name"
		continue
	fi
	exit 1
done
