# The front door: `make run` starts the whole system, `make test` runs every test.
# Both install what they need (a Python venv for interop tests) themselves.

CARGO ?= cargo
VENV  := .venv
PY    := $(VENV)/bin/python
CLOCKER_BIN := target/debug/clocker

.PHONY: run test test-rust test-python bench fmt lint build python-env help

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: ## start every service on its default port and print the URL to open
	$(CARGO) run --release -p clocker -- up

build: ## build the workspace (debug)
	$(CARGO) build --workspace --all-targets

test: test-rust test-python ## run every test

test-rust: ## unit and integration tests of every crate
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

test-python: python-env ## third-party client tests (Python grpcio) against the real binary
	$(CARGO) build -p clocker
	CLOCKER_BIN=$(CURDIR)/$(CLOCKER_BIN) $(PY) -m pytest tests/python -q

python-env: ## create the Python venv the interop tests and benchmarks use
	@bash scripts/python-env.sh

bench: python-env ## run the benchmarks and print their tables (see BENCHMARKS.md)
	$(CARGO) build --release -p clocker -p clocker-bench
	bash bench/run.sh

fmt: ## format the code
	$(CARGO) fmt --all

lint: ## formatting check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
