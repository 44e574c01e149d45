# LedgerLink: `make run` starts the app, `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test test-fast e2e-soak lint format bench services install lock clean

## The virtualenv, from the pinned, hashed lock: the project's dependencies and its dev extras
## (requirements-dev.lock, made from pyproject.toml by `make lock`), then the project itself.
## A changed pyproject.toml or lock file installs again.
$(STAMP): pyproject.toml requirements-dev.lock
	@PYTHON=$(PYTHON) bash scripts/ensure_venv.sh $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## Regenerate requirements-dev.lock (dependencies + dev extras) and requirements.lock
## (production) from pyproject.toml with pip-tools on Python 3.11, keeping every pin that still
## fits. `make lock UPGRADE=1` takes the newest releases pyproject.toml allows;
## `make lock UPGRADE_PACKAGES="ruff redis"` only those. requirements.lock takes its versions
## from requirements-dev.lock, so the two always agree. The machine's own pip configuration
## (extra wheel folders and indexes, constraints) is left out, so the lock names only PyPI's files.
## It is made on Debian 12's Python 3.11.2 where there is one, the oldest 3.11 a fresh machine
## has: some pins apply only to older 3.11 releases (redis needs async-timeout before 3.11.3),
## and a lock made on a newer 3.11 would leave them out.
LOCK_PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)
LOCK_VENV := .venv-lock
PIP_TOOLS := pip-tools==7.6.2
PIP_COMPILE = env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile -q --generate-hashes \
	--allow-unsafe --strip-extras
lock:
	@PYTHON=$(LOCK_PYTHON) bash scripts/ensure_venv.sh $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "the lock is for Python 3.11; set LOCK_PYTHON")'
	$(LOCK_VENV)/bin/pip install -q $(PIP_TOOLS)
	$(PIP_COMPILE) $(if $(UPGRADE),--upgrade) \
		$(foreach package,$(UPGRADE_PACKAGES),--upgrade-package $(package)) \
		--build-deps-for editable --extra dev -o requirements-dev.lock pyproject.toml
	$(PIP_COMPILE) --upgrade --build-deps-for wheel -c requirements-dev.lock \
		-o requirements.lock pyproject.toml

services:
	@bash scripts/ensure_services.sh

## Start web + Celery worker + beat on http://127.0.0.1:$(PORT) (demo mode: built-in sandbox).
run: install services
	$(BIN)/python manage.py migrate --noinput
	@echo ""
	@echo "  LedgerLink is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	PATH=$(abspath $(BIN)):$$PATH PORT=$(PORT) SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} DEBUG=$${DEBUG:-true} SANDBOX_LATENCY=$${SANDBOX_LATENCY:-0.05} $(BIN)/honcho start -f Procfile.dev

## The whole test suite: unit, integration (sandbox over HTTP, real worker) and browser tests.
## Tests use Redis db 15 (their own broker queue), so a `make run` beside them keeps its tasks.
test: install services
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} $(BIN)/pytest $(PYTEST_ARGS)

## Everything but the browser tests.
test-fast: install services
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

## The browser tests RUNS times in a row (default 10) beside two CPU hogs; prints how many passed.
RUNS ?= 10
e2e-soak: install services
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} PYTEST=$(BIN)/pytest bash scripts/e2e_under_load.sh $(RUNS)

## ruff, migrations, the architecture's import contracts (.importlinter) and the complexity gate.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/python scripts/complexity_gate.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Prints performance figures; asserts nothing.
bench: install services
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache staticfiles
