#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster of its own:
#
#   scripts/with-postgres.sh cargo test -p impersync-store
#
# It finds initdb/pg_ctl/postgres (on PATH, or in /usr/lib/postgresql/*/bin; when none is
# there and it runs as root, it installs Debian's `postgresql` package), creates a cluster
# in a temporary folder, starts it on a free port bound to 127.0.0.1 only (its socket in the
# temporary folder too), exports
#
#   IMPERSYNC_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
#
# runs the command, then stops the server (by its pid) and removes the folder, also when
# the command fails or is interrupted. The command's exit status is the script's.
# If IMPERSYNC_TEST_POSTGRES_URL is already set, the command runs against that server.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]   (runs COMMAND with a throwaway PostgreSQL)" >&2
  exit 2
fi

if [ -n "${IMPERSYNC_TEST_POSTGRES_URL:-}" ]; then
  echo "with-postgres: IMPERSYNC_TEST_POSTGRES_URL is set already; using that server" >&2
  exec "$@"
fi

say() { printf 'with-postgres: %s\n' "$*" >&2; }

find_bindir() {
  local initdb
  if initdb="$(command -v initdb 2>/dev/null)" && command -v pg_ctl >/dev/null 2>&1 \
    && command -v postgres >/dev/null 2>&1; then
    dirname "$(readlink -f "$initdb")"
    return 0
  fi
  local dir
  # Highest version first.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! BINDIR="$(find_bindir)"; then
  if [ "$(id -u)" -eq 0 ]; then
    say "PostgreSQL is not installed; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BINDIR="$(find_bindir)" || { say "the postgresql package did not provide initdb/postgres"; exit 1; }
  else
    say "PostgreSQL (initdb, pg_ctl, postgres) is not installed and this is not root;"
    say "install it (e.g. sudo apt-get install postgresql) or set IMPERSYNC_TEST_POSTGRES_URL"
    exit 1
  fi
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/impersync-pg.XXXXXX")"
PG_PID=""

# initdb and postgres refuse to run as root: run them as an unprivileged user.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  PG_USER="${IMPERSYNC_PG_USER:-nobody}"
  PG_UID="$(id -u "$PG_USER")"
  PG_GID="$(id -g "$PG_USER")"
  chown "$PG_UID:$PG_GID" "$TMP"
  if command -v setpriv >/dev/null 2>&1; then
    RUN_AS=(setpriv "--reuid=$PG_UID" "--regid=$PG_GID" --clear-groups --)
  elif command -v runuser >/dev/null 2>&1; then
    RUN_AS=(runuser -u "$PG_USER" --)
  else
    say "running as root needs setpriv or runuser to start PostgreSQL as $PG_USER"
    exit 1
  fi
fi

cleanup() {
  local status=$?
  if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
    kill -INT "$PG_PID" 2>/dev/null || true # fast shutdown
    for _ in $(seq 1 100); do
      kill -0 "$PG_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PG_PID" 2>/dev/null; then
      say "the server did not stop in time; killing it"
      kill -KILL "$PG_PID" 2>/dev/null || true
    fi
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  return 1
}

mkdir -p "$TMP/socket"
[ "${#RUN_AS[@]}" -eq 0 ] || chown "$PG_UID:$PG_GID" "$TMP/socket"

say "initdb into $TMP/data ($BINDIR)"
(cd "$TMP" && "${RUN_AS[@]}" "$BINDIR/initdb" -D "$TMP/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C --no-sync >"$TMP/initdb.log" 2>&1) || {
  cat "$TMP/initdb.log" >&2
  say "initdb failed"
  exit 1
}

started=""
for attempt in 1 2 3 4 5; do
  PORT="$(free_port)"
  (cd "$TMP" && exec "${RUN_AS[@]}" "$BINDIR/postgres" -D "$TMP/data" \
    -c listen_addresses=127.0.0.1 -c port="$PORT" -c unix_socket_directories="$TMP/socket" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
    >"$TMP/server.log" 2>&1) &
  PG_PID=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$PG_PID" 2>/dev/null; then
      break
    fi
    if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres 2>/dev/null; then
      started=1
      break
    fi
    sleep 0.1
  done
  [ -n "$started" ] && break
  if kill -0 "$PG_PID" 2>/dev/null; then
    cat "$TMP/server.log" >&2
    say "the server did not become ready in 30 seconds"
    exit 1
  fi
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=""
  say "the server did not start on port $PORT (attempt $attempt); trying another port"
done
if [ -z "$started" ]; then
  cat "$TMP/server.log" >&2
  say "could not start PostgreSQL"
  exit 1
fi

# The pid of the postmaster itself (the wrapper exec'd into it, but read it to be sure).
if [ -r "$TMP/data/postmaster.pid" ]; then
  PG_PID="$(head -n 1 "$TMP/data/postmaster.pid")"
fi

export IMPERSYNC_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
say "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') is up at $IMPERSYNC_TEST_POSTGRES_URL (pid $PG_PID)"

set +e
"$@"
status=$?
set -e
exit "$status"
