# StudioZens developer commands. `make dev` and `make test` are all a newcomer needs.
SHELL := /bin/bash
# Resolved each time a recipe runs (`=`, not `:=`): on a machine without uv, `make uv` installs
# it first and the install recipe must then find it where it landed.
UV = $(or $(shell command -v uv 2>/dev/null),$(wildcard $(HOME)/.local/bin/uv),$(wildcard $(CURDIR)/.tools/bin/uv),uv)
HOST ?= 127.0.0.1
PORT ?= 8000
MANAGE = $(UV) run python manage.py

.PHONY: dev install uv migrate seed serve test test-fast check lint format worker beat clean

# uv from PyPI: the user's site, else (PEP 668 system Python, or inside a virtualenv) a private
# virtualenv in .tools/.
uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || [ -x .tools/bin/uv ] || \
	  python3 -m pip install --user --quiet uv 2>/dev/null || \
	  { python3 -m venv .tools && .tools/bin/python -m pip install --quiet uv; } || \
	  { echo "could not install uv: install it (https://docs.astral.sh/uv/) and run make again" >&2; exit 1; }

install: uv
	$(UV) sync --frozen

migrate: install
	@mkdir -p var
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

## dev: install everything, migrate, load demo data and serve the ASGI app on 127.0.0.1:8000
##      (`make dev PORT=8300`: checkout links and Wompi's redirect follow the port)
dev: seed
	@echo "StudioZens API on http://$(HOST):$(PORT)/api/docs"
	PORT=$(PORT) $(UV) run uvicorn studiozens.asgi:application --app-dir src --host $(HOST) --port $(PORT) --lifespan off --reload --reload-dir src

serve: install
	PORT=$(PORT) $(UV) run uvicorn studiozens.asgi:application --app-dir src --host $(HOST) --port $(PORT) --lifespan off

## test: the whole suite with the coverage gate (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: install
	DJANGO_ENV=test $(UV) run pytest --cov --cov-report=term $(PYTEST_ARGS)

test-fast: install
	DJANGO_ENV=test $(UV) run pytest -x -q $(PYTEST_ARGS)

## check: lint, format, import contracts, migrations and the deploy checklist
check: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	DJANGO_ENV=test $(MANAGE) makemigrations --check --dry-run
	$(UV) run bash scripts/check_deploy.sh

format: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

## worker: a Celery worker on every queue the enabled plugins declare (bin/worker, as on Render)
worker: install
	$(UV) run bin/worker

beat: install
	$(UV) run celery -A studiozens beat -l INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler

clean:
	rm -rf var .pytest_cache .ruff_cache htmlcov .coverage staticfiles .tools

# --- Frontend contract, API fuzzing and load test (docs/api.md, docs/e2e.md) -------------------
CONTRACT_TS_BIN := clients/typescript/node_modules/.bin/openapi-typescript
.PHONY: contract contract-check contract-tools load e2e

$(CONTRACT_TS_BIN): clients/typescript/package-lock.json
	npm ci --prefix clients/typescript --no-audit --no-fund
	@touch $(CONTRACT_TS_BIN)

contract-tools: $(CONTRACT_TS_BIN)

## contract: regenerate docs/openapi.json, the Postman collection and the TypeScript types
contract: install contract-tools
	DJANGO_ENV=test $(UV) run python -m scripts.contract.generate
	npm run --prefix clients/typescript --silent typecheck

## contract-check: fail when the committed contract differs from the code (CI)
contract-check: install contract-tools
	DJANGO_ENV=test $(UV) run python -m scripts.contract.generate --check
	npm run --prefix clients/typescript --silent typecheck

## load: 60 s, 50 users against gunicorn (3 uvicorn workers) on PostgreSQL + Redis
LOAD_USERS ?= 50
LOAD_TIME ?= 60s
# Persistent connections leak under ASGI (one per request thread): see docs/performance.md.
LOAD_DB_POOL_MAX_SIZE ?= 4
load: install
	@$(UV) run python scripts/require_services.py --for "make load"
	DB_POOL_MAX_SIZE=$(LOAD_DB_POOL_MAX_SIZE) $(UV) run python -m scripts.contract.live_server --workers 3 --seed --load-users $(LOAD_USERS) -- \
		$(UV) run locust -f benchmarks/locustfile.py --headless -u $(LOAD_USERS) -r 10 \
		-t $(LOAD_TIME) --host '$${BASE_URL}' --only-summary --exit-code-on-error 0 Visitor Client

## load-ladder: mixed load at 50/150/300 users + the liveness ceiling at 300, one server (~4 min)
.PHONY: load-ladder
load-ladder: install
	$(UV) run python benchmarks/ladder.py $(LADDER_ARGS)

## curves: availability, agenda, product search, my appointments at 1x/10x/100x data (~3 min)
## login-bench: CPU per login (Argon2id; PBKDF2 upgrade); profile: the mix under pyinstrument
.PHONY: curves login-bench profile
curves: install
	DJANGO_ENV=test $(UV) run python benchmarks/curves.py $(CURVES_ARGS)

login-bench: install
	$(UV) run python benchmarks/login.py

profile: install
	$(UV) run python benchmarks/profile_mix.py

## e2e: the end-to-end suite (real processes, PostgreSQL and Redis required)
e2e: install
	@$(UV) run python scripts/require_services.py --for "make e2e"
	DJANGO_ENV=test $(UV) run pytest tests/e2e -m slow -q -p no:cacheprovider

## memory: RSS/PSS of the web service and the Celery worker as render.yaml runs them, after a realistic warm-up
.PHONY: memory
memory: install
	$(UV) run python benchmarks/memory.py
