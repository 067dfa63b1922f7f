#!/usr/bin/env bash
# Runs a command with a moto_server (a local AWS emulator) on a free loopback
# port, exporting OMDEPLOY_TEST_MOTO=http://127.0.0.1:PORT, and stops the
# server when the command ends, whether it passed or failed.
set -euo pipefail

if ! command -v moto_server >/dev/null 2>&1; then
	echo "moto_server not found: the integration tests need it." >&2
	echo "install it with: pip install 'moto[server]'" >&2
	exit 1
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
# Services created in moto report this many running tasks; tests that need a
# rollout stuck IN_PROGRESS create services with a larger desired count.
MOTO_ECS_SERVICE_RUNNING=1 moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
cleanup() {
	kill "$moto_pid" 2>/dev/null || true
	wait "$moto_pid" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
	if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
		break
	fi
	if ! kill -0 "$moto_pid" 2>/dev/null; then
		echo "moto_server exited during start-up:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done

export OMDEPLOY_TEST_MOTO="http://127.0.0.1:$port"
# Tests must never reach a real account: dummy credentials, no IMDS, no profile.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL
echo "moto_server on $OMDEPLOY_TEST_MOTO" >&2
"$@"
