#!/usr/bin/env bash
# Back up passerelle: the PostgreSQL database (pg_dump, custom format), the key files the
# platform cannot work without, and a checksum of every file (docs/operations.md, "Backups").
#
#   scripts/backup.sh [DIRECTORY]
#
# DIRECTORY must not exist yet; by default $PASSERELLE_BACKUP_DIR/<UTC date and time>
# (PASSERELLE_BACKUP_DIR defaults to var/backups), where only the newest
# $PASSERELLE_BACKUP_KEEP backups (default 14) are kept.
#
# Read from the environment, as the server reads them:
#   DATABASE_URL                   the database (postgres://...); required
#   PASSERELLE_LINKAGE_KEY_FILE    the sector key of unique-beneficiary linkage (if set)
#   PASSERELLE_LINKAGE_MODEL_FILE  the accepted linkage model (if set and present)
#   DJANGO_SECRET_KEY, PASSERELLE_CELL_KEY_SECRET
#                                  written to keys/secrets.env when set: the published counts'
#                                  cell keys derive from one of them, sessions from the first
#   PASSERELLE_VAR_DIR             where var/ is (its scenarios/ results are copied)
#
# The backup holds personal data and keys: it is written with mode 600/700 and must be
# stored encrypted, away from the server. Nothing is written in place: the backup is made in
# DIRECTORY.partial and renamed when complete, so a directory without that suffix is whole.
set -euo pipefail
umask 077

project=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "backup: $*" >&2; exit 1; }

[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL is not set (postgres://user@host:port/name)"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) fail "DATABASE_URL: a PostgreSQL URL (postgres://...) is needed; got ${DATABASE_URL%%:*}://..." ;;
esac
command -v pg_dump >/dev/null || fail "pg_dump not found (Debian package postgresql-client)"

parent=${PASSERELLE_BACKUP_DIR:-$project/var/backups}
keep=${PASSERELLE_BACKUP_KEEP:-14}
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || fail "PASSERELLE_BACKUP_KEEP: a whole number of backups, 1 or more; got '$keep'"
var_dir=${PASSERELLE_VAR_DIR:-$project/var}

if [ $# -gt 1 ]; then fail "usage: scripts/backup.sh [DIRECTORY]"; fi
rotate=false
if [ $# -eq 1 ]; then
  target=$1
else
  target=$parent/$(date -u +%Y-%m-%dT%H%M%SZ)
  rotate=true
fi
[ -e "$target" ] && fail "$target exists already: a backup never overwrites another"
partial=$target.partial
rm -rf "$partial"
mkdir -p "$partial/keys"
trap 'rm -rf "$partial"' EXIT

started=$(date -u +%s)
# --no-owner/--no-privileges at restore, not here: the dump keeps everything there is.
pg_dump --dbname="$DATABASE_URL" --format=custom --compress=6 --file="$partial/database.dump"
# Which migrations the data is at: a restore on newer code then runs `migrate` (Upgrading).
psql --dbname="$DATABASE_URL" --no-psqlrc --tuples-only --no-align --quiet \
  --command="SELECT app || ' ' || name FROM django_migrations ORDER BY app, name" \
  >"$partial/migrations.txt"

copy_key() {  # copy_key VARIABLE NAME: the file the variable names, if any, as keys/NAME
  local path=${!1:-}
  [ -n "$path" ] || return 0
  if [ -f "$path" ]; then
    cp -p "$path" "$partial/keys/$2"
    chmod 600 "$partial/keys/$2"
    echo "$1 $2" >>"$partial/keys/files.txt"
  elif [ "$1" = PASSERELLE_LINKAGE_KEY_FILE ]; then
    # A sector key named but missing is an installation fault the administrator must see.
    fail "$1 names $path, which does not exist"
  fi
}
copy_key PASSERELLE_LINKAGE_KEY_FILE linkage-sector.key
copy_key PASSERELLE_LINKAGE_MODEL_FILE linkage-model.json

for name in DJANGO_SECRET_KEY PASSERELLE_CELL_KEY_SECRET; do
  if [ -n "${!name:-}" ]; then printf '%s=%s\n' "$name" "${!name}" >>"$partial/keys/secrets.env"; fi
done

# Computed scenario results: they can be computed again, but that takes minutes each.
if [ -d "$var_dir/scenarios" ]; then cp -a "$var_dir/scenarios" "$partial/scenarios"; fi

{
  echo "created $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "code $(git -C "$project" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "pg_dump $(pg_dump --version | awk '{print $3}')"
} >"$partial/MANIFEST"
(cd "$partial" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)

mv "$partial" "$target"
trap - EXIT
size=$(du -sh "$target" | cut -f1)
echo "backup: $target ($size, $(($(date -u +%s) - started)) s)"

if $rotate; then
  # Only directories this script made (a SHA256SUMS and a dump), oldest first by name.
  mapfile -t made < <(
    for dir in "$parent"/*/; do
      [ -f "$dir/SHA256SUMS" ] && [ -f "$dir/database.dump" ] && echo "${dir%/}"
    done | sort
  )
  excess=$((${#made[@]} - keep))
  for ((i = 0; i < excess; i++)); do
    rm -rf "${made[$i]}"
    echo "backup: removed ${made[$i]} (PASSERELLE_BACKUP_KEEP=$keep)"
  done
fi
