# citrix-ports: `make` sets up .venv and builds build/ from raw/ (offline);
# `make test` sets up .venv and runs the tests.  `make help` lists the targets.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The snapshot raw/manifest.json names as default (fetch --set-default changes it).
SNAPSHOT ?= $(shell $(PYTHON) -m pipeline.source.raw_manifest default)
# Rules the committed build rejects (the damaged last row of the flattened Citrix ADM table):
# one more fails the build, so a page change never adds a reject silently.
MAX_REJECTS ?= 1
# The committed build: a name of a new page no registry rule resolves may take the id its
# rows had there (build --previous: marked inferred, with the paired lines).
PREVIOUS := $(if $(wildcard build/ports.csv),--previous build)
# Everything the build stage reads: the snapshot, the code, the vocabularies and errata, the schemas.
BUILD_INPUTS := $(SNAPSHOT) raw/manifest.json $(wildcard pipeline/*.py pipeline/*/*.py pipeline/*/*/*.py pipeline/data/*.toml schemas/*.json)

# What make runs caches its bytecode (in .venv and the git-ignored __pycache__/), even where
# the environment sets PYTHONDONTWRITEBYTECODE: uv, unlike pip, installs without compiling,
# so every process would otherwise compile pandas, pandera, pytest… from source (about 1 s
# each, 6 s of every test worker's collection).  Only what is imported gets compiled.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := all
.PHONY: all help venv build test test-fast lint check diff docs fuzz bench clean tools


all: build/manifest.json ## set up .venv, then build build/ from the snapshot in raw/ (offline)

help: ## list the targets
	@grep -E '^[a-zA-Z_/.-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 24

venv: $(STAMP) ## create .venv and install the project with pinned dependencies

# The environment is made with uv when it can be (seconds), from the same pinned
# constraints: the uv on PATH, else one installed from the package index into .uv/ (a
# bootstrap location, git-ignored); where neither works, pip, saying so.
UV_VERSION ?= 0.13.8
UV_BOOT := .uv
$(STAMP): pyproject.toml constraints.txt
	@rm -rf $(VENV)
	@uv=$$(command -v uv || true); \
	if [ -z "$$uv" ] && [ ! -x $(UV_BOOT)/bin/uv ]; then \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(UV_BOOT) uv==$(UV_VERSION) >/dev/null 2>&1 \
	    || rm -rf $(UV_BOOT); \
	fi; \
	[ -z "$$uv" ] && [ -x $(UV_BOOT)/bin/uv ] && uv=$(UV_BOOT)/bin/uv; \
	if [ -n "$$uv" ] && $$uv venv --quiet --python $(PYTHON) $(VENV) \
	   && VIRTUAL_ENV=$(VENV) $$uv pip install --quiet -c constraints.txt -e '.[render,test,lint]'; then \
	  echo "set up $(VENV) with $$uv"; \
	else \
	  echo "uv is not available here: setting up $(VENV) with pip (slower)"; \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) \
	    && $(BIN)/pip install --quiet -c constraints.txt -e '.[render,test,lint]'; \
	fi
	@# byte-compiled now, as pip compiles an installed package: where PYTHONDONTWRITEBYTECODE
	@# is set, an editable install would otherwise compile pipeline/ on every run (~0.1 s)
	$(BIN)/python -m compileall -q pipeline
	touch $@

build/manifest.json: $(STAMP) $(BUILD_INPUTS) ## the build stage: re-run only when an input changed
	$(BIN)/citrix-ports build --strict --max-rejects $(MAX_REJECTS) $(PREVIOUS) --input $(SNAPSHOT) --out build

build: build/manifest.json ## same as `make`

# The registry parsed once (json reads it in 1 ms, tomllib in 20): used while it holds the
# very text of components.toml, ignored otherwise.  Committed, like build/.

test: $(STAMP) ## set up .venv and run the tests (all of them, on every core)
	$(BIN)/pytest -q -n auto --dist worksteal

TOOLS := .venv-tools
CHECKOV_VERSION ?= 3.3.30
tools: $(TOOLS)/bin/checkov ## install checkov (in .venv-tools), which judges the Terraform exports in the tests

$(TOOLS)/bin/checkov:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)

lint: $(STAMP) ## ruff (lint and format check) over pipeline/ and tests/, mypy over pipeline/ (configured in pyproject.toml)
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests
	$(BIN)/mypy

test-fast: $(STAMP) ## the tests without the slow ones (subprocesses, real tools, fuzzing, whole builds and real waits; make test runs them all)
	$(BIN)/pytest -q -n auto --dist worksteal -m "not slow"

diff: $(STAMP) ## what the working build/ changes against the committed one (git:HEAD)
	$(BIN)/citrix-ports diff git:HEAD build
	$(BIN)/citrix-ports diff git:HEAD build --table rules

docs: $(STAMP) ## write docs/cli.md (from the parser) and docs/problems.md (from the catalogue)
	$(BIN)/python -m pipeline.cli.reference

check: $(STAMP) ## rebuild from raw/ and fail, showing the difference, if build/ (or docs/cli.md, docs/problems.md) is not what is committed
	$(BIN)/python -m pipeline.cli.reference --check
	$(BIN)/citrix-ports build --strict --max-rejects $(MAX_REJECTS) $(PREVIOUS) --input $(SNAPSHOT) --out build
	@$(BIN)/citrix-ports diff git:HEAD build --exit-code && \
	  $(BIN)/citrix-ports diff git:HEAD build --table rules --exit-code >/dev/null || { \
	  echo "build/ differs from the committed build: run 'make' and commit build/"; exit 1; }
	@git diff --exit-code --stat -- build/ || { git diff -- build/ | head -200; \
	  echo "build/ differs from the committed build: run 'make' and commit build/"; exit 1; }
	@test -z "$$(git status --porcelain -- build/)" || { git status --short -- build/; \
	  echo "build/ has files that are not committed"; exit 1; }

FUZZ_RUNS ?= 2000
FUZZ_SEED ?= 1
STRUCTURAL_RUNS ?= 300
fuzz: $(STAMP) ## long seeded fuzzing of the build (crashes, structural damage of the text and HTML forms: FUZZ_RUNS, STRUCTURAL_RUNS, FUZZ_SEED), kill -9 at every write of build and fetch, the attack suite
	$(BIN)/python tests/fuzzing.py --runs $(FUZZ_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/fuzzing.py --structural --runs $(STRUCTURAL_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/fuzzing.py --structural --page en --runs $(STRUCTURAL_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/fuzzing.py --structural --page de --runs $(STRUCTURAL_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/fuzzing.py --structural --page ja --runs $(STRUCTURAL_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/fuzzing.py --cells html --runs $(STRUCTURAL_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/fuzzing.py --cells markdown --runs $(STRUCTURAL_RUNS) --seed $(FUZZ_SEED)
	$(BIN)/python tests/crashing.py
	$(BIN)/pytest -q -n auto tests/test_fetch.py tests/test_inputs.py tests/test_outputs.py

bench: $(STAMP) ## benchmark (tests/benchmark.py), results in tests/benchmark-results.json
	$(BIN)/python tests/benchmark.py

clean: ## remove .venv and caches (build/ is committed and kept)
	rm -rf $(VENV) $(TOOLS) $(UV_BOOT) .venv-bench .setuptools-build .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
