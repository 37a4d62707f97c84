#!/usr/bin/env bash
# CI contract checks (one line in .ci/run: `bash scripts/ci_contract.sh`):
#   1. the committed docs/openapi.json, Postman collection/environment and TypeScript types
#      match a fresh generation from the code (`make contract-check`), and the types compile;
#   2. newman runs the collection green against the production server (gunicorn + uvicorn
#      workers) on loopback, on its own PostgreSQL database and Redis db, demo data seeded;
#   3. the TypeScript client's tests (`npm test --prefix clients/typescript`): unit tests, the
#      README example compiled, and the journey against the live server.
# Bounded in time; the server is started and stopped by scripts/contract/live_server.py.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

DB_NAME="${CONTRACT_DB_NAME:-studiozens_contract}"
REDIS_DB="${CONTRACT_REDIS_DB:-9}"
PG_HOST="${CONTRACT_PG_HOST:-127.0.0.1}"

if [ ! -x clients/typescript/node_modules/.bin/newman ]; then
  npm ci --prefix clients/typescript --no-audit --no-fund
fi

echo "== contract drift check"
make --no-print-directory contract-check

echo "== newman against a live server"
psql -h "$PG_HOST" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)" \
  -c "CREATE DATABASE ${DB_NAME}"
redis-cli -h 127.0.0.1 -n "$REDIS_DB" flushdb >/dev/null
export DATABASE_URL="postgres://postgres@${PG_HOST}:5432/${DB_NAME}"
export REDIS_URL="redis://127.0.0.1:6379/${REDIS_DB}"

timeout 600 uv run python -m scripts.contract.live_server --workers 2 --seed -- \
  clients/typescript/node_modules/.bin/newman run docs/postman/studiozens.postman_collection.json \
  --environment docs/postman/studiozens.postman_environment.json \
  --env-var 'baseUrl=${BASE_URL}' \
  --timeout-request 30000 --reporters cli --color off --disable-unicode

echo "== TypeScript client against a live server"
timeout 900 uv run python -m scripts.contract.live_server --workers 1 --seed -- \
  env 'STUDIOZENS_BASE_URL=${BASE_URL}' npm test --prefix clients/typescript
