#!/usr/bin/env bash
# Restore a dump made by scripts/backup_db.sh into a PostgreSQL database.
#
#   scripts/restore_db.sh DUMP_FILE TARGET_DATABASE_URL [--clean]
#
# Without --clean the target must be empty (a fresh database: the safe way — restore next
# to production, check it, then point DATABASE_URL at it). With --clean existing objects
# in the target are dropped first (overwrites data: stop the web, worker and beat first).
# Runs in one transaction: on any error nothing is changed.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi

if [[ $# -lt 2 ]]; then
  echo "usage: $0 DUMP_FILE TARGET_DATABASE_URL [--clean]" >&2
  exit 2
fi
DUMP="$1"
TARGET="$2"
CLEAN="${3:-}"
[[ -f "$DUMP" ]] || { echo "no such dump: $DUMP" >&2; exit 2; }
pg_restore --list "$DUMP" >/dev/null || { echo "not a pg_dump custom-format file: $DUMP" >&2; exit 2; }

tables="$(psql "$TARGET" -XAtq -v ON_ERROR_STOP=1 -c \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema')")"
args=(--no-owner --no-privileges --single-transaction --exit-on-error --dbname="$TARGET")
if [[ "$CLEAN" == "--clean" ]]; then
  args+=(--clean --if-exists)
elif [[ -n "$CLEAN" ]]; then
  echo "unknown option: $CLEAN" >&2
  exit 2
elif (( tables > 0 )); then
  echo "target database has $tables tables; restore into a fresh database or pass --clean" >&2
  exit 3
fi

pg_restore "${args[@]}" "$DUMP"
echo "restored $DUMP" >&2
psql "$TARGET" -XAtq -c "ANALYZE" >/dev/null
