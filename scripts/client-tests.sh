#!/usr/bin/env bash
# Run the third-party EWS client conformance tests (exchangelib + ews-javascript-api) against an
# already running Impersync simulator. Usage: IMPERSYNC_SIM_URL=http://127.0.0.1:PORT scripts/client-tests.sh
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -z "${IMPERSYNC_SIM_URL:-}" ]; then
  echo "error: IMPERSYNC_SIM_URL is not set (e.g. IMPERSYNC_SIM_URL=http://127.0.0.1:8080)" >&2
  exit 2
fi
export IMPERSYNC_SIM_URL

VENV="$ROOT/.venv"
NODE_DIR="$ROOT/tests/clients/node"

"$ROOT/scripts/test-deps.sh" || exit 1
set +e

status=0

echo "==> exchangelib tests against $IMPERSYNC_SIM_URL"
(cd "$ROOT/tests/clients/python" && PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -m pytest -p no:cacheprovider -v) || status=1

echo "==> ews-javascript-api tests against $IMPERSYNC_SIM_URL"
(cd "$NODE_DIR" && node --test) || status=1

if [ "$status" -ne 0 ]; then
  echo "client conformance tests FAILED" >&2
else
  echo "client conformance tests passed"
fi
exit "$status"
