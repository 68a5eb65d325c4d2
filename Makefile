# The two commands of the quick start: `make demo` (the main job) and `make test` (the whole suite).
SHELL := /bin/bash
BIN := .venv/bin

.PHONY: setup setup-test demo test lint format db-up db-down clean

setup:  ## Debian packages, .venv with Python >= 3.12, the package (idempotent)
	@scripts/bootstrap.sh

setup-test:  ## setup, plus the real clients the tests drive (QGIS, Chromium)
	@scripts/bootstrap.sh --test

demo: setup  ## bring up PostGIS, create the schemas, report (later: load samples, build tiles, serve)
	@scripts/demo.sh

test: setup  ## the whole test suite against a real private PostGIS
	$(BIN)/pytest

lint:
	$(BIN)/ruff check danang_sdi tests benchmarks
	$(BIN)/ruff format --check danang_sdi tests benchmarks

format:
	$(BIN)/ruff format danang_sdi tests benchmarks
	$(BIN)/ruff check --fix danang_sdi tests benchmarks

db-up: setup
	$(BIN)/danang-sdi db up

db-down:
	$(BIN)/danang-sdi db down

clean:  ## stop the private cluster and remove .venv and .sdi
	-$(BIN)/danang-sdi db down
	rm -rf .venv .sdi
