# alianza: the four habits. Each target installs what it needs first.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PIP     := $(BIN)/python -m pip install --progress-bar on
STAMP   := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PG_ADMIN ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: install install-dev system-deps browser-deps demo test test-sqlite test-postgresql test-wheel check bench clean

## system-deps: what PyICU (followthemoney -> normality) compiles against, from Debian
system-deps:
	@command -v pkg-config >/dev/null && pkg-config --exists icu-uc && command -v g++ >/dev/null \
	  || { echo "Instalando paquetes del sistema (ICU, pkg-config, g++)..."; \
	       apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	         libicu-dev pkg-config g++ python3-venv; }

# The demo's environment: alianza alone (no pyspark, no test tools).
$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "Instalando alianza en $(VENV) (PyICU se compila la primera vez: unos minutos)..."
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $(STAMP)

# The developers' environment: the tests, the linters, the Spark engine and the PKCS#11
# token too (SoftHSM2 from Debian holds the node key in tests/node/test_token.py).
$(DEVSTAMP): $(STAMP) pyproject.toml
	@command -v softhsm2-util >/dev/null || { echo "Instalando SoftHSM2 (token PKCS#11 de las pruebas)..."; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q softhsm2; }
	$(PIP) -e '.[dev,spark,hsm]'
	$(MAKE) browser-deps
	touch $(DEVSTAMP)

## browser-deps: Debian's chromium and axe-core (npm) for the console's browser tests
browser-deps:
	@command -v chromium >/dev/null || { echo "Instalando chromium (pruebas de navegador de la consola)..."; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	@test -f tests/e2e/node_modules/axe-core/axe.min.js || npm ci --prefix tests/e2e --no-audit --no-fund --ignore-scripts

install: $(STAMP)
install-dev: $(DEVSTAMP)

## make demo: install, create two demo nodes (PDI Chile, Policía Nacional Ecuador), serve until Ctrl-C
demo: $(STAMP)
	$(BIN)/alianza demo --dir demo-node --port 8000

## make check: ruff, ruff format --check, mypy --strict on the package
check: $(DEVSTAMP)
	$(BIN)/ruff check alianza tests benchmarks
	$(BIN)/ruff format --check alianza tests benchmarks
	$(BIN)/mypy alianza

## make test: check, the whole suite on SQLite and on PostgreSQL, then the installed wheel
test: check test-sqlite test-postgresql test-wheel

test-sqlite: $(DEVSTAMP) browser-deps
	$(BIN)/pytest -q --db sqlite

test-postgresql: $(DEVSTAMP)
	ALIANZA_TEST_PG_ADMIN=$(PG_ADMIN) $(BIN)/pytest -q --db postgresql

## test-wheel: build the wheel, install it in a fresh venv outside the checkout, run a node
test-wheel: $(DEVSTAMP)
	$(BIN)/python .ci/wheel_smoke.py

## make bench: the benchmarks (figures go to benchmarks/results/)
bench: $(DEVSTAMP)
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
	rm -rf $(VENV) demo-node .pytest_cache .mypy_cache .ruff_cache dist build
