#!/usr/bin/env bash
# Project-local services for development and tests.
#
#   scripts/services.sh deps        install missing Debian packages (apt-get as root, else sudo -n)
#   scripts/services.sh venv        create .venv and install the project when pyproject.toml changed
#   scripts/services.sh up          start PostgreSQL (unless DATABASE_URL is set) and Redis (unless
#                                   REDIS_URL is set), reusing them when already running
#   scripts/services.sh down        stop the project-local PostgreSQL and Redis
#   scripts/services.sh exec CMD..  up, run CMD with DATABASE_URL/REDIS_URL exported, then stop
#                                   only the services this call started (also on Ctrl-C)
#
# State lives under var/ (git-ignored): var/pg (data), var/redis, var/log, var/run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
VAR=$ROOT/var
PG_PORT=54329
REDIS_PORT=63799
LOCAL_DATABASE_URL=postgres://collectio@127.0.0.1:$PG_PORT/collectio
# make test uses its own Redis database, so what it queues never reaches the make run worker.
LOCAL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/${REDIS_DB:-0}
APT_PACKAGES=(redis-server libharfbuzz-subset0 poppler-utils chromium
              fonts-dejavu-core fonts-liberation2)
IS_ROOT=$([ "$(id -u)" = 0 ] && echo 1 || echo 0)
STARTED=()

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- deps
cmd_deps() {
  command -v dpkg-query >/dev/null || die "not a Debian system: install ${APT_PACKAGES[*]} yourself"
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "system packages: all present"; return 0; fi
  local sudo=()
  if [ "$IS_ROOT" = 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      die "missing system packages; run:
  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
  fi
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------- venv
cmd_venv() {
  local venv=$ROOT/.venv stamp=$ROOT/.venv/.installed py
  if ! "$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    py=$(command -v python3.11 || command -v python3) || die "python3.11 not found"
    "$py" -c 'import sys; assert sys.version_info[:2] == (3, 11)' || die "$py is not Python 3.11"
    say "creating .venv with $py"
    "$py" -m venv --clear "$venv" || die "could not create .venv (apt-get install python3.11-venv?)"
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    say "installing the project into .venv (pip install -e '.[dev]', log: var/log/pip.log)"
    pip_quiet -e "${ROOT}[dev]"
    touch "$stamp"
  fi
  # honcho runs the Procfile for `make run`; until pyproject's dev extras list it, install it here.
  [ -x "$venv/bin/honcho" ] || { say "installing honcho into .venv"; pip_quiet honcho; }
}

pip_quiet() {
  mkdir -p "$VAR/log"
  "$ROOT/.venv/bin/pip" install --disable-pip-version-check "$@" >"$VAR/log/pip.log" 2>&1 \
    || { tail -n 30 "$VAR/log/pip.log" >&2; die "pip install $* failed"; }
}

# ---------------------------------------------------------------- PostgreSQL
pg_bin() {
  local d pg_ctl
  pg_ctl=$(readlink -f "$(command -v pg_ctl)" 2>/dev/null || true)
  for d in "${pg_ctl%/*}" $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && { PGBIN=$d; return 0; }
  done
  die "PostgreSQL server binaries not found (apt-get install postgresql-15, or set DATABASE_URL)"
}

# Run a server command, as the `postgres` user when we are root (PostgreSQL refuses root).
as_pg() {
  if [ "$IS_ROOT" = 1 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# PGBASE holds pg/ (data), run/pg/ (socket) and log/postgresql.log. It is var/, except as root
# when a directory above the project is closed to the postgres user: then a dir under /var/tmp.
pg_paths() {
  PGBASE=$VAR
  if [ "$IS_ROOT" = 1 ] && ! runuser -u postgres -- test -x "$(dirname "$ROOT")"; then
    PGBASE=/var/tmp/collectio-pg-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
  fi
  PGDATA=$PGBASE/pg PGSOCK=$PGBASE/run/pg PGLOG=$PGBASE/log/postgresql.log
}

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

pg_up() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "postgres: DATABASE_URL is set, not starting one"
    return 0
  fi
  pg_bin; pg_paths
  mkdir -p "$PGBASE/run" "$PGBASE/log"
  chmod 755 "$PGBASE" "$PGBASE/run" "$PGBASE/log"
  if [ "$IS_ROOT" = 1 ]; then
    [ "$PGBASE" = "$VAR" ] || say "postgres: the postgres user cannot reach $VAR; data in $PGBASE"
    if ! runuser -u postgres -- test -x "$PGBASE"; then
      say "postgres: chmod o+x $ROOT so the postgres user can reach var/pg"
      chmod o+x "$ROOT"
    fi
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    local locale=C
    locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=C.UTF-8
    say "postgres: initdb $PGDATA"
    rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chmod 700 "$PGDATA"
    if [ "$IS_ROOT" = 1 ]; then chown postgres: "$PGDATA"; fi
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U collectio --auth=trust -E UTF8 --locale="$locale" \
      >/dev/null
  fi
  # A postmaster.pid left by a crash whose pid now belongs to another process would block startup.
  local pid
  pid=$(head -n1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != postgres ]; then
    rm -f "$PGDATA/postmaster.pid" "$PGSOCK/.s.PGSQL.$PG_PORT.lock"
  fi
  if pg_running; then
    say "postgres: already running on 127.0.0.1:$PG_PORT"
  elif "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    die "port $PG_PORT is used by another PostgreSQL; stop it or set DATABASE_URL"
  else
    mkdir -p "$PGSOCK"; touch "$PGLOG"
    if [ "$IS_ROOT" = 1 ]; then chown postgres: "$PGSOCK" "$PGLOG"; fi
    say "postgres: starting on 127.0.0.1:$PG_PORT (log: $PGLOG)"
    as_pg "$PGBIN/pg_ctl" start -w -t 60 -D "$PGDATA" -l "$PGLOG" \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k '$PGSOCK'" >/dev/null \
      || { tail -n 20 "$PGLOG" >&2; die "postgres did not start"; }
    STARTED+=(postgres)
  fi
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 30 || die "postgres is not answering"
  local psql=("$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U collectio -d postgres -qAtX)
  if [ -z "$("${psql[@]}" -c "select 1 from pg_database where datname = 'collectio'")" ]; then
    say "postgres: creating database collectio"
    "${psql[@]}" -c 'create database collectio'
  fi
}

pg_down() {
  pg_paths
  [ -f "$PGDATA/PG_VERSION" ] || return 0
  pg_bin
  if pg_running; then
    say "postgres: stopping"
    as_pg "$PGBIN/pg_ctl" stop -w -m fast -D "$PGDATA" >/dev/null
  fi
}

# ---------------------------------------------------------------- Redis
redis() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
# Ours when the server on our port works in our var/redis (robust against stale pid files).
redis_ours() { [ "$(redis --raw config get dir 2>/dev/null | sed -n 2p)" = "$VAR/redis" ]; }

redis_up() {
  if [ -n "${REDIS_URL:-}" ]; then say "redis: REDIS_URL is set, not starting one"; return 0; fi
  command -v redis-server >/dev/null || die "redis-server not found (make deps, or set REDIS_URL)"
  if redis ping >/dev/null 2>&1; then
    redis_ours || die "port $REDIS_PORT is used by another Redis; stop it or set REDIS_URL"
    say "redis: already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  mkdir -p "$VAR/redis" "$VAR/run" "$VAR/log"
  say "redis: starting on 127.0.0.1:$REDIS_PORT (log: $VAR/log/redis.log)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$VAR/redis" \
    --appendonly yes --pidfile "$VAR/run/redis.pid" --logfile "$VAR/log/redis.log" >/dev/null
  for _ in $(seq 50); do redis ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis ping >/dev/null 2>&1 || { tail -n 20 "$VAR/log/redis.log" >&2; die "redis did not start"; }
  STARTED+=(redis)
}

redis_down() {
  redis_ours || return 0
  say "redis: stopping"
  redis shutdown >/dev/null 2>&1 || true
  for _ in $(seq 50); do redis ping >/dev/null 2>&1 || return 0; sleep 0.2; done
  die "redis did not stop"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  mkdir -p "$VAR/log" "$VAR/run" "$VAR/media"
  pg_up; redis_up
  say "DATABASE_URL=${DATABASE_URL:-$LOCAL_DATABASE_URL}"
  say "REDIS_URL=${REDIS_URL:-$LOCAL_REDIS_URL}"
}

cmd_down() { pg_down; redis_down; }

cmd_exec() {
  [ $# -gt 0 ] || die "usage: $0 exec COMMAND [ARGS...]"
  trap 'stop_started' EXIT
  cmd_up
  export DATABASE_URL=${DATABASE_URL:-$LOCAL_DATABASE_URL} REDIS_URL=${REDIS_URL:-$LOCAL_REDIS_URL}
  # Run CMD in the background so TERM can be forwarded; `trap - INT` undoes bash's SIGINT-ignore for
  # background jobs, so Ctrl-C still reaches CMD directly (it is in the terminal's process group).
  (trap - INT; exec "$@") &
  local child=$! rc
  trap 'kill -TERM "$child" 2>/dev/null || true' TERM HUP
  trap ':' INT
  while :; do
    rc=0; wait "$child" || rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  exit "$rc"
}

stop_started() {
  local s
  for s in "${STARTED[@]}"; do
    case $s in postgres) pg_down ;; redis) redis_down ;; esac
  done
}

case ${1:-} in
  deps|venv|up|down) "cmd_$1" ;;
  exec) shift; cmd_exec "$@" ;;
  *) die "usage: $0 {deps|venv|up|down|exec COMMAND...}" ;;
esac
