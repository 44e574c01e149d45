# LedgerLink: `make run` starts the app, `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test test-fast e2e-soak lint format bench services install clean

$(STAMP): pyproject.toml
	@PYTHON=$(PYTHON) bash scripts/ensure_venv.sh $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

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
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
