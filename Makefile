# The two set-up commands of README.md. Each creates or updates .venv/ (torch==2.13.0 first, CPU
# build; then the package with what it needs), then runs. `make install` (run by `make test`) also
# installs tools/cypher-lint/node_modules (Neo4j's Cypher linter, pinned by its package-lock.json;
# node and npm) and the Debian packages that are missing (scripts/install_debian.sh): chromium
# (the browser check of the network view), cp2k, cp2k-data and openmpi-bin (PBE through
# `--calculator cp2k` / `reference crosscheck --upper cp2k`, and its tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.landscape-installed
LINTER := tools/cypher-lint/node_modules/.installed
OUT    ?= results

.PHONY: demo test install lint lint-cypher samples reference-data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "landscape needs Python >= 3.11, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

$(LINTER): tools/cypher-lint/package-lock.json
	npm ci --prefix tools/cypher-lint --no-audit --no-fund --loglevel=error
	@touch $(LINTER)

DEBIAN := chromium cp2k:cp2k.psmp cp2k-data:/usr/share/cp2k/BASIS_MOLOPT openmpi-bin:mpirun

install: $(STAMP) $(LINTER)
	@bash scripts/install_debian.sh $(DEBIAN)

demo: $(STAMP)
	$(BIN)/landscape demo --out $(OUT)

# pytest's exit status 5 (no tests collected) is a failure here, never a silent pass.
test: install
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check landscape tests benchmarks
	$(BIN)/ruff format --check landscape tests benchmarks

# Every cypher/*.cypher through Neo4j's Cypher linter (also run by `make test`:
# tests/graph/test_cypher_lint.py).
lint-cypher: $(LINTER)
	node tools/cypher-lint/lint.mjs

# Regenerate the bundled samples (melt-quench, then CHGNet annealing; about an hour on 2 cores).
samples: $(STAMP)
	bash scripts/make_samples.sh

# Regenerate / extend the shipped CHGNet reference data (hours on 2 cores; resumes).
reference-data: $(STAMP)
	bash scripts/make_reference.sh
