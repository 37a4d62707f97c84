#!/usr/bin/env bash
# Runs `manage.py check --deploy` under production settings with generated secrets,
# so the deploy checklist is enforced in CI exactly as production would see it.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
cd "$(dirname "$0")/.."
# The project's virtualenv when there is one (works outside `uv run` / an activated venv).
PYTHON="${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}"
eval "$("$PYTHON" scripts/generate_production_secrets.py --export)"
export DJANGO_ENV=production
export ALLOWED_HOSTS=api.studiozens.co
export SITE_URL=https://api.studiozens.co
export DATABASE_URL="${CHECK_DATABASE_URL:-sqlite:///$(mktemp -d)/deploy-check.sqlite3}"
export REDIS_URL="${CHECK_REDIS_URL:-redis://127.0.0.1:6379/15}"
export WOMPI_PUBLIC_KEY=pub_prod_checkdeploy0000000000
export WOMPI_PRIVATE_KEY=prv_prod_checkdeploy0000000000
export WOMPI_EVENT_SECRET=prod_events_checkdeploy0000000000
export WOMPI_INTEGRITY_SECRET=prod_integrity_checkdeploy0000000000
export TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
export TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef
export AWS_STORAGE_BUCKET_NAME=studiozens-media
export AWS_ACCESS_KEY_ID=AKIACHECKDEPLOY00000
export AWS_SECRET_ACCESS_KEY=checkdeploy0000000000000000000000000000
"$PYTHON" manage.py check --deploy --fail-level WARNING
