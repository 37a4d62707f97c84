#!/usr/bin/env bash
# Back up the PostgreSQL database to a compressed, timestamped custom-format dump.
#
#   scripts/backup_db.sh [DATABASE_URL]
#
#   DATABASE_URL          source database (argument or environment; Render: External URL)
#   BACKUP_DIR            where dumps go (default: var/backups)
#   BACKUP_KEEP           keep at most this many dumps (default: 14; 0 = no limit)
#   BACKUP_MAX_AGE_DAYS   delete dumps older than this (default: 30; 0 = no limit)
#   BACKUP_PREFIX         file name prefix (default: studiozens)
#
# The dump is written to a temporary name, verified with `pg_restore --list`, then renamed,
# so a failed or interrupted run never leaves a file that looks like a good backup.
# pg_dump must be at least the server's major version (Render: postgresMajorVersion).
# Prints the path of the new dump on stdout.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi

DB_URL="${1:-${DATABASE_URL:-}}"
if [[ -z "$DB_URL" ]]; then
  echo "usage: $0 DATABASE_URL (or set DATABASE_URL)" >&2
  exit 2
fi
BACKUP_DIR="${BACKUP_DIR:-var/backups}"
BACKUP_KEEP="${BACKUP_KEEP:-14}"
BACKUP_MAX_AGE_DAYS="${BACKUP_MAX_AGE_DAYS:-30}"
BACKUP_PREFIX="${BACKUP_PREFIX:-studiozens}"
[[ "$BACKUP_KEEP" =~ ^[0-9]+$ && "$BACKUP_MAX_AGE_DAYS" =~ ^[0-9]+$ ]] || {
  echo "BACKUP_KEEP and BACKUP_MAX_AGE_DAYS must be whole numbers" >&2
  exit 2
}

mkdir -p "$BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/${BACKUP_PREFIX}-${stamp}.dump"
n=1
while [[ -e "$target" ]]; do  # two backups in the same second
  target="$BACKUP_DIR/${BACKUP_PREFIX}-${stamp}-${n}.dump"
  n=$((n + 1))
done
partial="${target}.partial"
trap 'rm -f "$partial"' EXIT

# Custom format (-Fc) is compressed and restorable table by table with pg_restore.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" --dbname="$DB_URL"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$target"
trap - EXIT
echo "backup written: $target ($(du -h "$target" | cut -f1))" >&2

# Retention: by age first, then by count (newest kept). Only our own dump files are touched.
if (( BACKUP_MAX_AGE_DAYS > 0 )); then
  find "$BACKUP_DIR" -maxdepth 1 -type f -name "${BACKUP_PREFIX}-*.dump" \
    -mtime "+$((BACKUP_MAX_AGE_DAYS - 1))" ! -path "$target" -print -delete >&2
fi
if (( BACKUP_KEEP > 0 )); then
  mapfile -t dumps < <(ls -1t "$BACKUP_DIR"/"${BACKUP_PREFIX}"-*.dump 2>/dev/null || true)
  for old in "${dumps[@]:BACKUP_KEEP}"; do
    [[ "$old" == "$target" ]] && continue
    rm -f -- "$old"
    echo "pruned: $old" >&2
  done
fi
echo "$target"
