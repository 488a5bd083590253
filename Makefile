# The two commands of the README: `make demo` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install prometheus demo bench chaos test lint typecheck unit integration stack-up stack-down clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Prometheus and promtool, which the tests of the operators' view run (the alert rules, the
# dashboards' queries, a scrape of live workers): Debian's package, installed where missing.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  echo "installing Debian's prometheus package (for the operators' view and its tests)"; \
	  $(SUDO) apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends \
	    prometheus >/dev/null; }

stack-up: install
	$(BIN)/creditflow stack up
	$(BIN)/creditflow topics init

stack-down: install
	$(BIN)/creditflow stack down

demo: stack-up
	$(BIN)/creditflow demo $(DEMO_ARGS)

# Throughput, latency, rebuild time and memory on this machine (bench/results/<date>.json);
# e.g. make bench BENCH_ARGS="--events 200000 --subjects 40000".
bench: stack-up
	$(BIN)/creditflow bench $(BENCH_ARGS)

# The platform under faults (worker SIGKILLs, broker and Redis restarts, 1 → 3 → 2 workers),
# compared with a clean run of the same seeded workload (bench/results/chaos-<date>.json);
# e.g. make chaos CHAOS_ARGS="--events 20000 --kills 3".
chaos: stack-up
	$(BIN)/creditflow chaos $(CHAOS_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit

integration: stack-up
	$(BIN)/pytest tests/integration

test: lint typecheck prometheus stack-up
	$(BIN)/pytest tests

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
