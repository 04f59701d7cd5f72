# alianza: the four habits. Each target installs what it needs first.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_ADMIN ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: install demo test test-sqlite test-postgresql check bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, create the demo node (PDI, Chile) and serve its API until Ctrl-C
demo: $(STAMP)
	$(BIN)/alianza demo --dir demo-node --port 8000

## make check: ruff, ruff format --check, mypy --strict on the package
check: $(STAMP)
	$(BIN)/ruff check alianza tests benchmarks migrations
	$(BIN)/ruff format --check alianza tests benchmarks migrations
	$(BIN)/mypy alianza

## make test: check, then the whole suite on SQLite and on PostgreSQL
test: check test-sqlite test-postgresql

test-sqlite: $(STAMP)
	$(BIN)/pytest -q --db sqlite

test-postgresql: $(STAMP)
	ALIANZA_TEST_PG_ADMIN=$(PG_ADMIN) $(BIN)/pytest -q --db postgresql

## make bench: the benchmarks (figures go to benchmarks/results/)
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python benchmarks/node/bench_import.py --keep
	$(BIN)/python benchmarks/node/bench_search.py
	$(BIN)/python benchmarks/exchange/bench_hits.py
	$(BIN)/python benchmarks/exchange/bench_sync.py
	$(BIN)/python benchmarks/identity/bench_linkage.py
	$(BIN)/python benchmarks/screening/bench_screen.py
	$(BIN)/python benchmarks/exchange/bench_hits.py --owner-dir /tmp/alianza-bench/node-sqlite-1000000
	$(BIN)/python benchmarks/exchange/bench_sync.py

clean:
	rm -rf $(VENV) demo-node .pytest_cache .mypy_cache .ruff_cache
