#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database, and put its key files
# back where the environment says (docs/operations.md, "Restore drill").
#
#   scripts/restore.sh BACKUP_DIRECTORY
#
#   DATABASE_URL                   the database to restore into: it must exist and hold no
#                                  table (createdb it first); never one in use
#   PASSERELLE_LINKAGE_KEY_FILE    where to put the sector key, if the backup has one
#   PASSERELLE_LINKAGE_MODEL_FILE  where to put the accepted linkage model, if it has one
#   PASSERELLE_VAR_DIR             where var/ is (scenario results go back to its scenarios/)
#
# Checks every file against the backup's SHA256SUMS first. The database is restored in one
# transaction: on any error nothing is left half-restored. A key file already at its place is
# never overwritten; if it differs from the backup's, the restore stops and says so.
set -euo pipefail
umask 077

project=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "restore: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: scripts/restore.sh BACKUP_DIRECTORY"
backup=$(cd "$1" 2>/dev/null && pwd) || fail "$1: no such directory"
[ -f "$backup/database.dump" ] && [ -f "$backup/SHA256SUMS" ] \
  || fail "$backup is not a backup made by scripts/backup.sh (no database.dump or SHA256SUMS)"
[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL is not set: the empty database to restore into"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) fail "DATABASE_URL: a PostgreSQL URL (postgres://...) is needed; got ${DATABASE_URL%%:*}://..." ;;
esac
var_dir=${PASSERELLE_VAR_DIR:-$project/var}

(cd "$backup" && sha256sum --quiet --check SHA256SUMS) \
  || fail "$backup: a file does not match SHA256SUMS (damaged or changed); nothing restored"

tables=$(psql --dbname="$DATABASE_URL" --no-psqlrc --tuples-only --no-align --quiet \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") \
  || fail "cannot connect to the database of DATABASE_URL (create it first: createdb NAME)"
[ "$tables" = 0 ] || fail "the database of DATABASE_URL holds $tables table(s): restore only into an empty database (dropdb, createdb)"

# Check the key files before touching the database, so that a refusal leaves nothing done.
key_target() {  # key_target VARIABLE NAME: where the backup's keys/NAME goes, or nothing
  local path=${!1:-}
  [ -f "$backup/keys/$2" ] || return 0
  [ -n "$path" ] || { echo "restore: the backup holds keys/$2 but $1 is not set: set it and copy the file there" >&2; return 0; }
  if [ -e "$path" ] && ! cmp -s "$path" "$backup/keys/$2"; then
    fail "$1 names $path, which exists and differs from the backup's keys/$2: move it away first"
  fi
  echo "$path"
}
sector_key=$(key_target PASSERELLE_LINKAGE_KEY_FILE linkage-sector.key)
model=$(key_target PASSERELLE_LINKAGE_MODEL_FILE linkage-model.json)

started=$(date -u +%s)
pg_restore --dbname="$DATABASE_URL" --exit-on-error --single-transaction --no-owner \
  --no-privileges "$backup/database.dump"
# pg_restore does not carry the planner's statistics: without them the first queries crawl.
psql --dbname="$DATABASE_URL" --no-psqlrc --quiet --command="ANALYZE" >/dev/null

place() {  # place SOURCE TARGET
  [ -n "$2" ] || return 0
  mkdir -p "$(dirname "$2")"
  [ -e "$2" ] || cp "$1" "$2"
  chmod 600 "$2"
  echo "restore: $2"
}
place "$backup/keys/linkage-sector.key" "$sector_key"
place "$backup/keys/linkage-model.json" "$model"
if [ -d "$backup/scenarios" ] && [ ! -e "$var_dir/scenarios" ]; then
  mkdir -p "$var_dir"
  cp -a "$backup/scenarios" "$var_dir/scenarios"
fi
if [ -f "$backup/keys/secrets.env" ]; then
  echo "restore: set the server's DJANGO_SECRET_KEY and PASSERELLE_CELL_KEY_SECRET from $backup/keys/secrets.env (published counts stay the same only with the same secret)"
fi
echo "restore: database restored from $backup in $(($(date -u +%s) - started)) s; $(grep -c . "$backup/migrations.txt") migrations recorded"
echo "restore: next, with the code to run: python manage.py migrate (docs/operations.md, \"Upgrading\")"
