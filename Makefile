# Anju: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
MANAGE := $(UV) run --frozen python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test e2e bench install uv worker beat lint audit check-deploy format messages

## run: install, migrate, compile translations, load the demo county, serve on 127.0.0.1:8000
run: export DJANGO_DEBUG ?= True
run: export ANJU_DEMO ?= True
run: install
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) compiletranslations
	$(MANAGE) seed_demo --base-url http://$(HOST):$(PORT)
	$(MANAGE) runserver $(HOST):$(PORT)

## test: the whole suite (SQLite unless DATABASE_URL is set; Redis tests when REDIS_URL is set),
## without the browser tests (make e2e), in TEST_PROCESSES processes (pytest-xdist; each has
## its own test database and Redis database)
TEST_PROCESSES ?= 2
test: install
	$(MANAGE) compiletranslations
	$(UV) run --frozen pytest -n $(TEST_PROCESSES) --ignore=tests/browser $(PYTEST_ARGS)

## e2e: the browser tests in Debian's headless Chromium (ANJU_CHROMIUM, default /usr/bin/chromium);
## screenshots in var/artefacts/screenshots/
e2e: install
	$(MANAGE) compiletranslations
	$(UV) run --frozen pytest tests/browser $(PYTEST_ARGS)

## bench: the benchmarks at province scale on this machine's PostgreSQL and Redis (README
## "Benchmarks"); one line per figure, and var/bench/results.json. BENCH_ARGS="--only overview"
## runs one scenario, "--quick" a smaller try of the harness.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/anju_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/2
bench: install
	@.ci/services
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null \
	  || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	$(MANAGE) compiletranslations
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(UV) run --frozen python -m bench $(BENCH_ARGS)

## install: the virtual environment from uv.lock (installs uv with pip when it is missing)
install: uv
	$(UV) sync --frozen

uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --user --quiet uv \
	  || python3 -m pip install --user --quiet --break-system-packages uv

## worker / beat: Celery against REDIS_URL (tasks run in-process without it)
worker: install
	$(UV) run --frozen celery -A config worker --loglevel=INFO

beat: install
	$(UV) run --frozen celery -A config beat --loglevel=INFO

## lint: what CI checks besides the tests
lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

## audit: bandit over the code, pip-audit over uv.lock (results in var/audit/)
audit: install
	UV=$(UV) .ci/audit

check-deploy: install
	$(MANAGE) check --deploy --fail-level WARNING

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

## messages: extract translatable strings into locale/ (needs GNU gettext; developers only)
messages: install
	$(MANAGE) makemessages --locale zh_Hans --no-obsolete --no-location \
	  --ignore '.venv/*' --ignore 'var/*'
