# The two commands a person needs: `make run` and `make test`. Both bootstrap .venv from constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8787
# Lambda's platform, as template.yaml declares it (Globals: Architectures, Runtime; tests/unit/test_build_layer.py).
LAMBDA_ARCHITECTURE ?= arm64
LAMBDA_PYTHON ?= 3.13
LAYER_FLAGS ?=
LAYER_BUILD = scripts/build_layer.py --architecture $(LAMBDA_ARCHITECTURE) --python-version $(LAMBDA_PYTHON) $(LAYER_FLAGS)

.PHONY: loadtest venv run test lint typecheck template docs unit bench layer layer-lock register-commands clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m kaltura_discord.local.stack

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

template: $(STAMP)
	$(BIN)/cfn-lint template.yaml

test: lint typecheck template docs
	$(BIN)/python -m pytest

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -f docs/mkdocs/mkdocs.yml

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

loadtest: $(STAMP)
	$(BIN)/python scripts/loadtest.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# build/layer/ and build/layer.zip, with their sizes. LAYER_FLAGS=--bytecode-python=PATH names Lambda's Python.
layer: $(STAMP)
	$(BIN)/python $(LAYER_BUILD)

# Rewrite layers/requirements.lock after changing pyproject.toml's dependencies or constraints.txt (needs PyPI).
layer-lock: $(STAMP)
	$(BIN)/python $(LAYER_BUILD) --lock

# Called by `sam build` (template.yaml's SharedLayer: BuildMethod makefile, run at the root) with ARTIFACTS_DIR set.
build-SharedLayer:
	$(PYTHON) $(LAYER_BUILD) --output "$(ARTIFACTS_DIR)" --no-zip

clean:
	rm -rf $(VENV) build .aws-sam .mypy_cache .ruff_cache
