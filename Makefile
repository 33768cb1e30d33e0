# Two commands on a fresh machine: `make run` talks, `make test` checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.loa-installed

.PHONY: run test lint bench lock clean

# Exactly the tested versions, each file checked against its hash (requirements-dev.lock), then
# Loa itself in editable mode without touching them.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/loa run

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pylint --disable=all --enable=duplicate-code --score=n bot handlers db tests

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# After changing dependencies in pyproject.toml: pin them again, with hashes, for the image
# (requirements.lock) and for development and CI (requirements-dev.lock).
LOCK_FLAGS := -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements.lock pyproject.toml deploy/build.in
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev -o requirements-dev.lock pyproject.toml deploy/build.in

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
