# `make run` runs the main job, `make test` the tests, `make docs` the docs' strict build; each sets the
# machine up first if needed.
VENV ?= .venv
STAMP := $(VENV)/.mieb-installed

.PHONY: run test docs setup lint

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh harness/offline/install_assets.sh
	bash scripts/setup.sh

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/mieb run

test: $(STAMP)
	$(VENV)/bin/pytest

docs: $(STAMP)  # no --quiet: it hides the warnings that --strict counts
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
