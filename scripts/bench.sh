#!/usr/bin/env bash
# make bench: builds bin/omdeploy, starts moto (scripts/with-moto.sh) and runs
# the benchmark driver (tools/omdeploy-bench), which prints the
# summary table and writes BENCHMARKS.md. About two and a half minutes on two
# cores. Extra arguments go to the driver, e.g. -runs 40.
set -euo pipefail
cd "$(dirname "$0")/.."

make --no-print-directory build
work=$(mktemp -d -t omdeploy-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Measure a copy, so that a `make clean` elsewhere cannot pull it away mid-run.
cp bin/omdeploy "$work/omdeploy"
go build -o "$work/omdeploy-bench" ./tools/omdeploy-bench
go build -o "$work/omdeploy-rusage" ./tools/omdeploy-rusage

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
	commit="$commit + uncommitted changes"
fi
scripts/with-moto.sh "$work/omdeploy-bench" -bin "$work/omdeploy" -rusage "$work/omdeploy-rusage" -out BENCHMARKS.md -commit "$commit" "$@"
