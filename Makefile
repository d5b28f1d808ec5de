# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint translations worker clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

translations: $(STAMP)
	@for area in wallet/translations/*/; do \
	  $(BIN)/pybabel compile -d $$area >/dev/null || exit 1; \
	done

run: $(STAMP) translations
	bin/run

test: $(STAMP) translations
	bin/test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

worker: $(STAMP)
	$(BIN)/huey_consumer wallet.jobs.huey -w 2 -k thread

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
