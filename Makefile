# Vinculo: `make demo` sets up and runs a node with real data; `make test` sets up and runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME ?= var/demo
PORT ?= 8000
MX_PORT ?= 8001

.PHONY: install demo test test-sqlite lint bench clean assets i18n

# pip's config here lists local index locations (file:///opt/pypi-more/simple, ...) that hold only some
# projects; for every other one pip warns "Location 'file:///...' is ignored: it is neither a file nor a
# directory" (~110 lines an install). Only that line is dropped: every other warning, every error and
# pip's exit status stay as they are.
SHELL := /bin/bash
PIP_INSTALL = $(BIN)/pip install --quiet $(1) 2>&1 \
	| grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory\.$$"; \
	exit $${PIPESTATUS[0]}

$(BIN)/.installed: pyproject.toml setup.py src/vinculo/_verify_batch.c src/vinculo/_canonical.c $(wildcard src/vinculo/_ed25519/*.[ch])
	$(PYTHON) -m venv $(VENV)
	$(call PIP_INSTALL,--upgrade pip)
	$(call PIP_INSTALL,-e '.[dev]')
	touch $@

install: $(BIN)/.installed

# Two nodes (US :8000, MX :8001) with real and made-up records, synced both ways; the US node also
# imports all 311,038 UNODC seizures and the MX node pulls what its agreement allows in the background.
demo: install
	$(BIN)/vinculo demo --dir $(DEMO_HOME) --full-unodc --us-port $(PORT) --mx-port $(MX_PORT)

test: install
	$(BIN)/pytest

test-sqlite: install
	VINCULO_TEST_DATABASES=sqlite $(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench

# Every benchmark owed by the issues; each measures its baseline in the same run and prints the ratio.
bench: install
	$(call PIP_INSTALL,-e '.[dev,bench]')
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/psi.py
	$(BIN)/python bench/graph.py
	$(BIN)/python bench/ui.py
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/leak.py
	$(BIN)/python bench/purge.py

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info src/vinculo/*.so

# Web UI: copy the npm-installed front-end files into the package (committed; pip install needs no npm).
assets:
	npm ci --prefix web --no-audit --no-fund
	$(PYTHON) scripts/build_assets.py

# Web UI: extract strings, update the English/Spanish catalogs, compile the .mo files (committed).
i18n: install
	$(BIN)/python scripts/i18n.py
