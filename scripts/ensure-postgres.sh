#!/usr/bin/env bash
# Start the project's own PostgreSQL instance (the suite's and the benchmarks' database) and
# print the DATABASE_URL to use. Prints nothing on stdout and exits 1 when it cannot.
#
# Why a private instance rather than the system cluster: CI runs as root on a machine whose
# previous processes were ended abruptly, so the system cluster may be stopped, half-stopped
# or hold a stale pid file. A cluster of our own, in its own directory and on its own port,
# is created from nothing when missing or damaged and does not depend on that state.
#
#   PASSERELLE_PGDATA  data directory   (default /var/tmp/passerelle-postgres)
#   PASSERELLE_PGPORT  port on 127.0.0.1 (default 54329)
set -euo pipefail

data=${PASSERELLE_PGDATA:-/var/tmp/passerelle-postgres}
port=${PASSERELLE_PGPORT:-54329}
user=passerelle
database=passerelle
log="$data.log"

fail() {
  echo "ensure-postgres: $*" >&2
  [ -f "$log" ] && { echo "--- last lines of $log:" >&2; tail -n 20 "$log" >&2; }
  exit 1
}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -x "$bindir/initdb" ] || fail "PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/ensure-system.sh)"

# initdb and postgres refuse to run as root: use the postgres account the Debian package made.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() {
  as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1 \
    && "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$user" 2>/dev/null
}

if ! running; then
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "ensure-postgres: creating a PostgreSQL instance in $data (port $port)" >&2
    rm -rf "$data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    chmod 700 "$data"
    as_owner "$bindir/initdb" -D "$data" -U "$user" --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$log" 2>&1 || fail "initdb failed"
  fi
  touch "$log"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$log"
  # A stale pid file from a process that was killed stops pg_ctl: remove it when that
  # process is gone (or a zombie).
  if [ -f "$data/postmaster.pid" ]; then
    pid=$(head -1 "$data/postmaster.pid")
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    if [ -z "$state" ] || [ "$state" = Z ]; then rm -f "$data/postmaster.pid"; fi
  fi
  as_owner "$bindir/pg_ctl" start -w -t 60 -D "$data" -l "$log" \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    >/dev/null || fail "PostgreSQL did not start"
fi

psql_admin() { "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres "$@"; }
psql_admin -tc "SELECT 1 FROM pg_database WHERE datname='$database'" | grep -q 1 \
  || psql_admin -c "CREATE DATABASE $database" || fail "could not create database $database"
echo "postgres://$user@127.0.0.1:$port/$database"
