#!/usr/bin/env bash
# The admin panel end to end in headless Chromium: starts the Exchange simulator (HTTP and
# HTTPS with a generated CA) and the admin server (its own SQLite data directory, lab name
# overrides pointing contoso.test at the simulator), runs tests/e2e/panel.test.mjs, and stops
# both servers by pid, also on failure. Screenshots go to target/e2e-artifacts/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: $CHROMIUM is missing and this script is not running as root, so it cannot install it." >&2
    echo "e2e: install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
  echo "e2e: installing Debian's chromium"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

(cd tests/e2e && npm ci --no-audit --no-fund)
cargo build --locked -p impersync
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/impersync"

ARTIFACTS="$ROOT/target/e2e-artifacts"
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  cp "$WORK"/*.log "$ARTIFACTS"/ 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until $1 (a log file) holds the pattern $2; $3 is the pid that writes it.
wait_for() {
  for _ in $(seq 1 200); do
    grep -q "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || { cat "$1"; echo "e2e: the server exited early" >&2; exit 1; }
    sleep 0.1
  done
  cat "$1"; echo "e2e: the server did not start" >&2; exit 1
}

"$BIN" sim --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
  --tls-ca-out "$WORK/sim-ca.pem" > "$WORK/sim.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/sim.log" 'HTTPS:' "${PIDS[-1]}"
SIM_HTTPS_PORT="$(grep -o 'https://127.0.0.1:[0-9]*' "$WORK/sim.log" | head -1 | sed 's/.*://')"

IMPERSYNC_ADMIN_PASSWORD="E2e-Operator-Pw-1" \
IMPERSYNC_RESOLVE="contoso.test=127.0.0.1,autodiscover.contoso.test=127.0.0.1,mail.contoso.test=127.0.0.1" \
IMPERSYNC_AUTODISCOVER_HTTPS_PORT="$SIM_HTTPS_PORT" \
IMPERSYNC_CA_FILE="$WORK/sim-ca.pem" \
  "$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" --insecure-cookies \
  > "$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/serve.log" 'admin panel on http://' "${PIDS[-1]}"
PANEL_URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.log" | head -1)"

PANEL_URL="$PANEL_URL" PANEL_USER=admin PANEL_PASSWORD="E2e-Operator-Pw-1" \
CHROMIUM="$CHROMIUM" ARTIFACTS="$ARTIFACTS" \
  node tests/e2e/panel.test.mjs
