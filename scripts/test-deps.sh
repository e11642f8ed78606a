#!/usr/bin/env bash
# Installs what the test suite needs into ignored folders: a Python venv with
# exchangelib (.venv) and ews-javascript-api (tests/clients/node/node_modules).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON is needed for the exchangelib tests; install Python 3.10+" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm is needed for the ews-javascript-api tests; install Node.js 18+" >&2; exit 1; }

if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "creating $ROOT/.venv"
  "$PYTHON" -m venv "$ROOT/.venv"
fi
"$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/tests/clients/python/requirements.txt"

if [ ! -d "$ROOT/tests/clients/node/node_modules" ]; then
  (cd "$ROOT/tests/clients/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The admin guides' examples (crates/cli/tests/doc_examples.rs) run curl, jq and sqlite3.
missing="$(for tool in curl jq sqlite3; do command -v "$tool" >/dev/null || echo "$tool"; done)"
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "error: install $missing for the docs' examples" >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq $missing
fi

# The benchmark chart's text (bench all and its tests) is drawn with Debian's DejaVu Sans.
if [ ! -r /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core
fi
