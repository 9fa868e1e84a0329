# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export JIANGXIN_VAR_DIR ?= $(CURDIR)/var
PORT ?= 8501

.PHONY: run test lint bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: the dashboard on http://localhost:8501 with an SQLite database and demo data
run: install
	JIANGXIN_DEMO=1 $(BIN)/jiangxin init-db
	JIANGXIN_DEMO=1 $(BIN)/jiangxin demo --if-empty
	@echo "demo accounts: demo_admin, demo_reviewer, demo_manager, demo_staff (建德市), demo_staff_ca (淳安县), demo_staff_xs (萧山区); password: jiangxin-demo"
	JIANGXIN_DEMO=1 $(BIN)/jiangxin run --port $(PORT)

lint: install-test
	$(BIN)/ruff check .

## make test: lint, then the whole suite on two workers, one test file at a time per worker
## (pytest-xdist; PostgreSQL tests need JIANGXIN_TEST_POSTGRES_URL); `make test WORKERS=0` runs it
## in this one process
WORKERS ?= 2
test: lint
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile

## make bench: every benchmark at scale S (a city) then M (a province); `python -m bench --help`
bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
