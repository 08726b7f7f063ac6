# `make run` runs the main job and `make test` the tests; each sets the machine up first if needed.
VENV ?= .venv
STAMP := $(VENV)/.mieb-installed

.PHONY: run test setup lint

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh harness/offline/install_assets.sh
	bash scripts/setup.sh

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/mieb run

test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
