# Two commands on a fresh machine with Python 3.11+:
#   make run   — the portal (web + worker + beat) with the demo cooperative
#   make test  — the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8000
export PATH := $(BIN):$(PATH)

.PHONY: run prepare test lint lock clean

$(VENV)/.runtime: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $@

$(VENV)/.dev: requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	@touch $@ $(VENV)/.runtime

# The browser tests' checkers, pinned in package-lock.json: axe-core (accessibility) and
# the Nu HTML checker (vnu-jar, run with `java`). Without npm they are skipped, loudly.
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "npm no está instalado: se omiten las pruebas de accesibilidad y de HTML"; fi

# Migrate and load the demo cooperative (idempotent).
prepare: export DJANGO_DEBUG ?= true
prepare: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo_load

run: export DJANGO_DEBUG ?= true
run: export WEB_BIND ?= 127.0.0.1:$(PORT)
run: prepare
	@echo ""
	@echo "Cooprogreso en Línea: http://127.0.0.1:$(PORT)/"
	@echo "Correos y SMS de desarrollo (códigos OTP): http://127.0.0.1:$(PORT)/dev/outbox/"
	@$(BIN)/python manage.py demo_load --show-logins | tail -n +2
	@echo "Ctrl-C detiene el servidor web, el worker y el beat."
	@echo ""
	exec $(BIN)/python manage.py runportal

# The whole suite (PostgreSQL when reachable), then the ledger's tests and the
# confirmation dialog's journeys again on the embedded SQLite default (what `make run`
# uses): both databases keep the same guarantees. The whole suite runs
# on one pytest-xdist worker per core (at most four), each with its own test database and
# Redis database; the SQLite rerun is short and runs in one process.
XDIST := -n auto --maxprocesses 4
test: $(VENV)/.dev node_modules/.package-lock.json
	$(BIN)/python -m pytest $(XDIST)
	TEST_DATABASE=sqlite $(BIN)/python -m pytest tests/ledger tests/transfers/test_services.py tests/transfers/test_round_trips.py tests/transfers/test_transfer_pages.py tests/accounts/test_challenges.py

# Style, then the import contracts of pyproject.toml: no package imports a layer above it,
# the feature apps import none of each other, the kernel (core) imports no project package.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Re-resolve dependencies after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv lock
	uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.lock
	uv export --frozen --extra dev --no-emit-project --format requirements-txt -o requirements-dev.lock

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .import_linter_cache node_modules
