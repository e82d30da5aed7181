# The README's commands. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test lint typecheck unit integration e2e bench bench-publish bench-ui clean install install-dev browser \
	aws-synth security secrets-baseline upgrade-drill dr-drill

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

lint: install-dev security
	@echo "==> ruff"
	@$(BIN)/ruff check .

# bandit (config in pyproject.toml) and detect-secrets against the committed .secrets.baseline: a new
# finding fails. The hook runs on a copy of the baseline: it rewrites a baseline whose line numbers moved
# (exit 3, no new secret), which must not dirty the tree during a check.
CHECKOV_VENV := .venv-checkov

$(CHECKOV_VENV)/.installed: deploy/aws/requirements-checkov.txt
	@echo "==> installing checkov in $(CHECKOV_VENV) (its own venv: its pins conflict with the app's)"
	@$(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install --quiet -r deploy/aws/requirements-checkov.txt
	@touch $@

security: install-dev $(CHECKOV_VENV)/.installed
	@echo "==> bandit"
	@$(BIN)/bandit -q -c pyproject.toml -r app state components tasks models
	@echo "==> detect-secrets"
	@tmp=$$(mktemp); cp .secrets.baseline $$tmp; \
	$(BIN)/detect-secrets-hook --baseline $$tmp $$(git ls-files ':!.secrets.baseline'); rc=$$?; rm -f $$tmp; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 3 ]; then \
	  echo "detect-secrets: a secret not in .secrets.baseline (above). Remove it; if it is none, run"; \
	  echo "  make secrets-baseline && .venv/bin/detect-secrets audit .secrets.baseline"; exit 1; fi
	@echo "==> checkov (the AWS stack's template; accepted findings carry their reason in the stack code)"
	@cd deploy/aws && $(abspath $(BIN))/python app.py > /dev/null
	@$(CHECKOV_VENV)/bin/checkov -f deploy/aws/cdk.out/Quillcast.template.json --framework cloudformation \
	  --compact --quiet --skip-download

# After a reviewed false positive: add it to the baseline (audits already made are kept).
secrets-baseline: install-dev
	@$(BIN)/detect-secrets scan --baseline .secrets.baseline

# The AWS stack's CloudFormation, offline (no AWS account): deploy/aws/cdk.out/Quillcast.template.json.
aws-synth: install-dev
	@cd deploy/aws && $(abspath $(BIN))/python app.py
	@ls deploy/aws/cdk.out/*.template.json

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

# A rolling restart of every web, worker and beat process under load: one JSON line (docs/OPERATIONS.md).
upgrade-drill: install-dev
	@$(BIN)/python scripts/upgrade_drill.py

bench-ui: install-dev browser
	@$(BIN)/python scripts/bench_ui.py

# Disaster-recovery drill on a temporary DATA_DIR: write, destroy, restore from the archive (ARGS=--replica:
# promote a streaming replica instead); one JSON line with rpo_s, rto_s, rows_lost.
dr-drill: install-dev
	@$(BIN)/python scripts/dr_drill.py $(ARGS)

clean:
	rm -rf .web .states data/test
