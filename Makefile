# Two commands matter: `make demo` and `make test`. Both build .venv from scratch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DEMO_OUT := demo-output

.PHONY: demo test fuzz lint bench bench-rounds clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/lottery validate examples/city
	$(BIN)/lottery run examples/city --seed 2026-spring --out $(DEMO_OUT) --force

test: $(TEST_STAMP)
	$(BIN)/ruff check lottery tests benchmarks
	$(BIN)/python -m pytest

# Thousands of broken input files per command instead of the few dozen of `make test`.
fuzz: $(TEST_STAMP)
	LOTTERY_FUZZ=long $(BIN)/python -m pytest tests/io/test_fuzz.py tests/publish/test_fuzz_letters.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check lottery tests benchmarks
	$(BIN)/ruff format --check lottery tests benchmarks

# Whole runs are timed in fresh processes: let Python keep its compiled modules, as an
# office's installation does (some shells set PYTHONDONTWRITEBYTECODE).
bench: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python benchmarks/run.py

# Later rounds: a synthetic summer, tie-break "same" against "reversed" (benchmarks/ROUNDS.md).
bench-rounds: $(STAMP)
	$(BIN)/python benchmarks/rounds.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache .hypothesis
