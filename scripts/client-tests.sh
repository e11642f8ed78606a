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

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
NODE_DIR="$ROOT/tests/clients/node"

set -e
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "==> pip install -r tests/clients/python/requirements.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/tests/clients/python/requirements.txt"

if [ ! -d "$NODE_DIR/node_modules" ]; then
  echo "==> npm ci (tests/clients/node)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
fi
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
