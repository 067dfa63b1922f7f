#!/usr/bin/env bash
# The GitHub Action's last step: run omdeploy with the action's inputs.
#
# Environment: OMDEPLOY (the binary), IN_COMMAND, IN_CONFIG, IN_IMAGE (one or
# more of REPO:TAG or CONTAINER=REPO:TAG, separated by newlines or commas),
# IN_TAG, IN_SERVICES (separated by commas, spaces or newlines),
# IN_FORCE (force-new-deployment: true or false), IN_WAIT_UNTIL, IN_ARGS (split on
# whitespace). With GITHUB_ACTIONS=true omdeploy itself writes the
# annotations, the step summary and the step's outputs; when it exits before
# writing them (a usage error), this script writes result and exit-code.
set -euo pipefail

fail() {
	echo "::error title=omdeploy::$*"
	exit 2
}

: "${OMDEPLOY:?}"
"$OMDEPLOY" version

args=("${IN_COMMAND:-deploy}" --config "${IN_CONFIG:-omdeploy.yaml}")

# Split on separators, never on globs.
set -f
services=${IN_SERVICES:-}
for s in ${services//,/ }; do args+=(--service "$s"); done

images=()
several=false
while IFS= read -r line; do
	for img in ${line//,/ }; do
		images+=("$img")
		if [[ $img == *=* ]]; then several=true; fi
	done
done <<<"${IN_IMAGE:-}"
set +f
if [ "${#images[@]}" -gt 1 ]; then several=true; fi
if [ "$several" = true ]; then
	# Until an omdeploy whose --image takes CONTAINER=REF (its help says so),
	# a second --image would silently replace the first: refuse instead.
	if ! "$OMDEPLOY" "${IN_COMMAND:-deploy}" --help 2>&1 | grep -q 'CONTAINER=REF'; then
		fail "this omdeploy takes one image (REPO:TAG); several images or CONTAINER=REF need an omdeploy whose --image accepts CONTAINER=REF"
	fi
fi
if [ "${#images[@]}" -gt 0 ]; then
	for img in "${images[@]}"; do args+=(--image "$img"); done
elif [ -n "${IN_TAG:-}" ]; then
	args+=(--tag "$IN_TAG")
fi

case "${IN_FORCE:-false}" in
true) args+=(--force-new-deployment) ;;
false | "") ;;
*) fail "force-new-deployment must be true or false, not \"$IN_FORCE\"" ;;
esac

if [ -n "${IN_WAIT_UNTIL:-}" ]; then args+=(--wait-until "$IN_WAIT_UNTIL"); fi

set -f
# shellcheck disable=SC2206 # word splitting of args is the point
extra=(${IN_ARGS:-})
set +f

code=0
"$OMDEPLOY" "${args[@]}" ${extra[@]+"${extra[@]}"} || code=$?

# omdeploy writes its outputs unless it stopped before it could.
if [ -n "${GITHUB_OUTPUT:-}" ] && ! grep -qE '^exit-code(=|<<)' "$GITHUB_OUTPUT" 2>/dev/null; then
	result=success
	if [ "$code" -ne 0 ]; then result=failure; fi
	printf 'result=%s\nexit-code=%s\n' "$result" "$code" >>"$GITHUB_OUTPUT"
fi
exit "$code"
