#!/usr/bin/env bash
# Start PostgreSQL and create the test role and database if needed; prints the
# DATABASE_URL to use. CI runs as root with no service running, so we start the cluster.
set -euo pipefail

user=passerelle
password=passerelle
database=passerelle
port=${PGPORT:-5432}

run_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
    run_as_postgres true 2>/dev/null || true
    if [ "$(id -u)" = 0 ]; then pg_createcluster "$version" main >/dev/null; else sudo pg_createcluster "$version" main >/dev/null; fi
  fi
  cluster=$(pg_lsclusters -h | head -1 | awk '{print $1" "$2}')
  if [ "$(id -u)" = 0 ]; then pg_ctlcluster $cluster start; else sudo pg_ctlcluster $cluster start; fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
fi

run_as_postgres psql -q -p "$port" -tc "SELECT 1 FROM pg_roles WHERE rolname='$user'" | grep -q 1 \
  || run_as_postgres psql -q -p "$port" -c "CREATE ROLE $user LOGIN PASSWORD '$password' CREATEDB"
run_as_postgres psql -q -p "$port" -tc "SELECT 1 FROM pg_database WHERE datname='$database'" | grep -q 1 \
  || run_as_postgres psql -q -p "$port" -c "CREATE DATABASE $database OWNER $user"
echo "postgres://$user:$password@127.0.0.1:$port/$database"
