# The README's commands. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test lint typecheck unit integration e2e bench bench-publish bench-ui clean install install-dev browser

$(BIN)/python:
	@echo "==> creating the virtualenv in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes; pip shows its own progress bar.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "==> installing Quillcast and its dependencies (first time: a few minutes)"
	@$(BIN)/pip install --progress-bar on -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	@echo "==> installing test tools"
	@$(BIN)/pip install --progress-bar on -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@$(BIN)/quillcast run

browser:
	@scripts/ensure-chromium.sh

lint: install-dev
	@echo "==> ruff"
	@$(BIN)/ruff check .

typecheck: install-dev
	@echo "==> mypy"
	@$(BIN)/mypy models app/core app/services tasks

test: install-dev browser lint typecheck
	@echo "==> pytest"
	@$(BIN)/pytest -p no:cacheprovider

unit: install-dev
	@$(BIN)/pytest tests/unit

bench: bench-publish

bench-publish: install-dev
	@$(BIN)/python scripts/bench_publish.py

bench-ui: install-dev browser
	@$(BIN)/python scripts/bench_ui.py

clean:
	rm -rf .web .states data/test
