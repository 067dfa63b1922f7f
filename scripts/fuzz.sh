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

for t in "${targets[@]}"; do
	pkg=${t%%:*} name=${t##*:}
	echo "fuzz: $name in $pkg for $fuzztime"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
done
