# Two commands for people: `make demo` and `make test`. The rest is for developers.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp records which extras are installed, so a changed pyproject.toml reinstalls.
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: demo test bench lint typecheck pytest sdist-check clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(STAMP_RUN)

$(STAMP_BENCH): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $@ $(STAMP_TEST) $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/fairpanel demo --out demo-output/

test: $(STAMP_TEST) lint typecheck pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

# One worker per core; the workers share one run of the 40-second demo (tests/conftest.py).
pytest: $(STAMP_TEST)
	$(BIN)/python -m pytest -n auto

# Install the sdist in a fresh virtualenv (default dependencies, from the registry) and run
# the installed package: its rubrics, --version, `rubric check`, the demo. CI runs it.
sdist-check: $(STAMP_TEST)
	.ci/sdist-check $(BIN)/python $(PYTHON)

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) demo-output bench-output .pytest_cache .mypy_cache .ruff_cache
