# pushdeploy: `make demo` runs the deployer on the local cloud; `make test` is everything CI runs.
PYTHON ?= /root/.pyenv/versions/3.12.1/bin/python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit lint typecheck template-checks bench build deploy clean

$(STAMP): pyproject.toml layers/core/requirements.txt
	test -x $(BIN)/python || $(or $(shell command -v python3.12),$(PYTHON)) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pushdeploy local demo

test: lint typecheck template-checks unit

unit: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy layers/core/pushdeploy

template-checks: $(STAMP)
	bash scripts/check-template.sh

bench: $(STAMP)
	$(BIN)/python -m bench

build: $(STAMP)
	PATH="$(dir $(PYTHON)):$$PATH" $(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --guided

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
