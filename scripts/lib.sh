# shellcheck shell=bash
# Shared by scripts/demo, scripts/test and bench/run: build pg_learn and run
# a throwaway PostgreSQL cluster as an unprivileged user on a free port in a
# temporary directory; pgl_cluster_stop (installed as an EXIT trap) stops it
# and removes the directory, also when the caller fails.

PGL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PGL_STAGE=/some/dir: build, install and run against a private copy of the
# PostgreSQL installation in that directory instead of the system's, so that
# several checkouts can test side by side on one machine without installing
# over each other's pg_learn (PostgreSQL finds its lib and share directories
# relative to its binaries).  Unset (CI, demo): the system installation.
if [ -n "${PGL_STAGE:-}" ]; then
  PG_BIN=$PGL_STAGE/usr/lib/postgresql/15/bin
fi
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PATH="$PG_BIN:$PATH"

pgl_log() { printf '\033[1mpg_learn:\033[0m %s\n' "$*" >&2; }

# install packages, build and install the extension
pgl_setup() {
  "$PGL_ROOT/scripts/deps"
  if [ -n "${PGL_STAGE:-}" ] && [ ! -x "$PG_BIN/postgres" ]; then
    pgl_log "copying the PostgreSQL installation to $PGL_STAGE"
    mkdir -p "$PGL_STAGE/usr/lib/postgresql" "$PGL_STAGE/usr/share/postgresql" "$PGL_STAGE/usr/include"
    cp -a /usr/lib/postgresql/15 "$PGL_STAGE/usr/lib/postgresql/"
    cp -a /usr/share/postgresql/15 "$PGL_STAGE/usr/share/postgresql/"
    cp -a /usr/include/postgresql "$PGL_STAGE/usr/include/"
    chmod -R a+rX "$PGL_STAGE"
  fi
  pgl_log "building and installing the extension"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  make -C "$PGL_ROOT" -s -j2 PG_CONFIG="$PG_BIN/pg_config" >/dev/null
  $sudo make -C "$PGL_ROOT" -s install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
}

# run a command as the cluster's unprivileged owner
pgl_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PGL_OWNER" -- "$@"
  else
    "$@"
  fi
}

pgl_free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  return 1
}

# start a cluster; exports PGHOST, PGPORT, PGUSER, PGDATABASE and PGL_DIR.
# Extra postgresql.conf lines may be passed as arguments.
pgl_cluster_start() {
  if [ "$(id -u)" -eq 0 ]; then
    PGL_OWNER=postgres
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  else
    PGL_OWNER=$(id -un)
  fi
  PGL_DIR=$(mktemp -d /tmp/pg_learn.XXXXXX)
  chmod 755 "$PGL_DIR"
  [ "$(id -u)" -eq 0 ] && chown "$PGL_OWNER" "$PGL_DIR"
  trap pgl_cluster_stop EXIT
  trap 'exit 130' INT TERM
  PGPORT=$(pgl_free_port)
  pgl_log "starting a throwaway cluster in $PGL_DIR on port $PGPORT"
  pgl_as_owner initdb -D "$PGL_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PGL_DIR/initdb.log" 2>&1 \
    || { cat "$PGL_DIR/initdb.log" >&2; return 1; }
  {
    echo "port = $PGPORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$PGL_DIR'"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "shared_buffers = 512MB"
    echo "max_wal_size = 4GB"
    echo "log_min_messages = warning"
    for line in "$@"; do echo "$line"; done
  } >>"$PGL_DIR/data/postgresql.conf"
  pgl_as_owner pg_ctl -D "$PGL_DIR/data" -l "$PGL_DIR/server.log" -w -t 60 start >/dev/null \
    || { cat "$PGL_DIR/server.log" >&2; return 1; }
  export PGHOST="$PGL_DIR" PGPORT PGUSER=postgres PGDATABASE=postgres PGL_DIR
}

pgl_cluster_stop() {
  local rc=$?
  if [ -n "${PGL_DIR:-}" ] && [ -d "$PGL_DIR/data" ]; then
    pgl_as_owner pg_ctl -D "$PGL_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PGL_DIR"
  fi
  PGL_DIR=
  return $rc
}
