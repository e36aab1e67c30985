# Collectio: `make run` runs the product, `make test` runs the suite (CI calls it through .ci/run).
# PostgreSQL and Redis are project-local (var/) unless DATABASE_URL / REDIS_URL are already set.
SHELL := bash
SERVICES := scripts/services.sh
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: run test lint deps venv services-up services-down

run: export DEBUG ?= True
run: deps venv
	@$(SERVICES) exec scripts/run.sh

test: export CHROMIUM_PATH ?= /usr/bin/chromium
test: export SECRET_KEY ?= insecure-key-for-tests-only
test: export SECURE_COOKIES ?= False
test: export REDIS_DB ?= 9
test: deps venv
	@$(SERVICES) exec pytest -n 2 $(PYTEST_ARGS)

lint: venv
	ruff check .
	ruff format --check .
	lint-imports --no-cache

deps:
	@$(SERVICES) deps

venv:
	@$(SERVICES) venv

services-up:
	@$(SERVICES) up

services-down:
	@$(SERVICES) down
