# pushdeploy: `make demo` runs the deployer on the local cloud; `make test` is everything CI runs.
# Python 3.12: a python3.12 on PATH that runs (a pyenv shim of a version not selected does not), else
# pyenv's newest 3.12, else say so (or pass PYTHON=/path/to/python3.12).
PYTHON ?= $(or $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null),$(lastword $(sort $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.12*/bin/python3.12))),$(error no Python 3.12 found: put python3.12 on PATH, install it with pyenv, or run make PYTHON=/path/to/python3.12))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow unit lint typecheck template-checks bench build deploy clean

$(STAMP): pyproject.toml layers/core/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pushdeploy local demo

# The static checks run side by side (mypy and each template check use one core, and mostly wait on
# start-up; on a fresh machine the template tools install while the venv does), then the suite on both cores.
test:
	$(MAKE) --no-print-directory -j 3 --output-sync=target lint typecheck template-checks
	$(MAKE) --no-print-directory unit

unit: $(STAMP)
	$(BIN)/pytest -q -n 2

# The long randomised run: 1,000 scenarios in one hypothesis test, so on one core (about 40 minutes).
# Not part of `make test`.
test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy layers/core/pushdeploy localcloud/pushdeploy_local cli/pushdeploy_cli bench

# Its tools live in venvs of their own (scripts/check-template.sh installs them), not in $(VENV).
template-checks:
	bash scripts/check-template.sh

# Benchmarks on the local cloud (docs/benchmarks.md; about 7 min on 2 cores). Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m bench

# aws-sam-cli lives in its own venv (scripts/check-template.sh installs it): it pins an older boto3.
build: $(STAMP)
	PATH="$(dir $(PYTHON)):$$PATH" "$$(bash scripts/check-template.sh --sam-path)" build

# samconfig.toml's parameters, the default VPC unless it names one, no task until the image is pushed
# (cli/pushdeploy_cli/install.py).
deploy: build
	$(BIN)/python -m pushdeploy_cli.install "$$(bash scripts/check-template.sh --sam-path)" samconfig.toml

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
