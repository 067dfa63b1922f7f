#!/usr/bin/env bash
# make lint: dependency rules that the compiler cannot state. Each rule is
# "package P (and everything it links) must not import Q"; a broken rule
# prints the import chain that brings Q in and fails.
#
#   scripts/check-deps.sh                       the project's rules (below)
#   scripts/check-deps.sh PATTERN FORBIDDEN...  one ad-hoc rule, e.g.
#   scripts/check-deps.sh ./internal/testenv testing    (fails: shows the chain)
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0

# rule PATTERN WHY FORBIDDEN...: every non-test package matched by PATTERN
# must not depend on any FORBIDDEN import path.
rule() {
	local pattern=$1 why=$2
	shift 2
	# An assignment, so that set -e stops on a failing go list; and a rule
	# that matches nothing is an error, not a pass.
	local roots root
	roots=$(go list "$pattern")
	if [ -z "$roots" ]; then
		echo "check-deps: $pattern matches no package" >&2
		failed=1
		return
	fi
	for root in $roots; do
		# One line per package in root's closure: the package, then its imports.
		local graph
		graph=$(go list -deps -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' "$root")
		local forbidden
		for forbidden in "$@"; do
			if ! cut -d' ' -f1 <<<"$graph" | grep -qxF "$forbidden"; then
				continue
			fi
			# Breadth-first from root: the shortest chain that reaches forbidden.
			local chain
			chain=$(awk -v root="$root" -v target="$forbidden" '
				{ for (i = 2; i <= NF; i++) edges[$1] = edges[$1] " " $i }
				END {
					queue[0] = root; seen[root] = 1; head = 0; tail = 1
					while (head < tail) {
						p = queue[head++]
						if (p == target) break
						n = split(edges[p], next_, " ")
						for (i = 1; i <= n; i++) if (!(next_[i] in seen)) {
							seen[next_[i]] = 1; parent[next_[i]] = p; queue[tail++] = next_[i]
						}
					}
					s = target
					for (p = target; p != root; p = parent[p]) s = parent[p] " -> " s
					print s
				}' <<<"$graph")
			echo "check-deps: $root must not link $forbidden: $why" >&2
			echo "  import chain: $chain" >&2
			failed=1
		done
	done
}

if [ $# -gt 0 ]; then
	pattern=$1
	shift
	rule "$pattern" "asked on the command line" "$@"
	exit $failed
fi

rule ./cmd/omdeploy \
	"the shipped binary must not carry test helpers (testing registers flags and pulls in test machinery; httptest is a test server)" \
	testing net/http/httptest
# The release build (make build, scripts/dist.sh, .goreleaser.yaml) drops
# urfave/cli's ToMan/ToMarkdown with this tag; their markdown parser builds
# its tables at every start-up (issue 16).
GOFLAGS="${GOFLAGS:-} -tags=urfave_cli_no_docs" rule ./cmd/omdeploy \
	"the release build must not link urfave/cli's man-page and markdown renderers: omdeploy calls neither, and blackfriday's init costs every start-up" \
	github.com/russross/blackfriday/v2 github.com/cpuguy83/go-md2man/v2/md2man
rule ./tools/... \
	"the benchmark drivers are programs, not tests: use internal/motoenv, not internal/testenv" \
	testing

rule ./deploy \
	"deploy knows nothing of preflight (DESIGN.md); internal/pipeline runs both" \
	github.com/omdeploy/omdeploy/preflight
rule ./release \
	"release tasks know nothing of rendering or of the deploy engine (DESIGN.md); internal/pipeline hooks them into the engine" \
	github.com/omdeploy/omdeploy/internal/report github.com/omdeploy/omdeploy/deploy

if [ $failed = 0 ]; then
	echo "check-deps: ok"
fi
exit $failed
