# The front door: `make run` starts the whole system, `make test` runs every test.
# Both install what they need (npm packages for the web UI, a Python venv for
# the interop tests, Debian's chromium for the browser tests) themselves.

CARGO ?= cargo
VENV  := .venv
PY    := $(VENV)/bin/python
CLOCKER_BIN := target/debug/clocker

.PHONY: run test test-rust test-python test-web test-e2e bench fmt lint build clocker-bin web \
	python-env bench-env web-env browser-env fuzz chaos help

# What the web UI is built from: web/dist is rebuilt when any of it is newer.
WEB_SOURCES := $(shell find web/src web/public -type f ! -name '*.test.ts' ! -name '*.test.tsx' ! -path 'web/src/testing/*' 2>/dev/null) \
	$(wildcard web/index.html web/package.json web/vite.config.ts web/tsconfig*.json)
# Written by scripts/npm-env.sh once web/node_modules matches the lockfile.
WEB_DEPS := web/node_modules/.clocker-installed
# Written by scripts/npm-env.sh once clients/node/node_modules matches the lockfile.
CLIENTS_DEPS := clients/node/node_modules/.clocker-installed

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: web ## start every service on its default port and print the URL to open
	$(CARGO) run --release -p clocker -- up

web: web/dist/index.html ## build the web UI into web/dist (when missing or stale)

web/dist/index.html: $(WEB_SOURCES) $(WEB_DEPS)
	cd web && npm run --silent build
	@touch $@

$(WEB_DEPS): web/package-lock.json
	@bash scripts/npm-env.sh web

$(CLIENTS_DEPS): clients/node/package-lock.json
	@bash scripts/npm-env.sh clients/node

clocker-bin: web ## build the clocker binary (debug) the interop and browser tests run
	$(CARGO) build -p clocker

build: ## build the workspace (debug)
	$(CARGO) build --workspace --all-targets

test: test-rust test-python test-web test-e2e ## run every test

# Tests that need PostgreSQL share one throwaway cluster (initdb/pg_ctl on a
# free port, removed afterwards); each test still gets a database of its own.
test-rust: web ## unit and integration tests of every crate (SQLite and PostgreSQL)
	$(CARGO) build -q -p clocker-testdb
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		target/debug/clocker-testdb -- $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		target/debug/clocker-testdb -- $(CARGO) test --workspace --no-fail-fast; \
	fi

test-python: python-env $(CLIENTS_DEPS) clocker-bin ## third-party client tests (Python grpcio) against the real binary
	CLOCKER_BIN=$(CURDIR)/$(CLOCKER_BIN) $(PY) -m pytest tests/python -q

test-web: $(WEB_DEPS) ## unit tests of the web UI (Vitest)
	cd web && npm test --silent

test-e2e: web $(WEB_DEPS) browser-env clocker-bin ## the web UI in headless Chromium against a fleet on free ports
	cd web && CLOCKER_BIN=$(CURDIR)/$(CLOCKER_BIN) npm run --silent e2e

web-env: $(WEB_DEPS) ## install the web UI's npm packages (from web/package-lock.json)

browser-env: ## install Debian's chromium for the browser tests when missing
	@bash scripts/browser-env.sh

python-env: ## create the Python venv the interop tests and benchmarks use
	@bash scripts/python-env.sh

bench-env: ## the Python venv, with matplotlib (bench/plot.py) and websockets (a P4 peer); the Node.js peers' npm packages
	@bash scripts/python-env.sh bench
	@bash scripts/npm-env.sh bench/peers

bench: bench-env web $(WEB_DEPS) browser-env ## run the benchmarks and print their tables (see BENCHMARKS.md)
	@# P5 drives the gateway with wrk: Debian's package, installed when missing.
	@command -v wrk >/dev/null || { \
		command -v apt-get >/dev/null || { echo "bench: wrk is missing; install wrk (P5 needs it)" >&2; exit 1; }; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "bench: installing Debian's wrk (apt-get)" >&2; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq wrk >/dev/null; \
		command -v wrk >/dev/null || { echo "bench: could not install wrk; install it (apt-get install wrk), P5 needs it" >&2; exit 1; }; }
	$(CARGO) build --release -p clocker -p clocker-bench
	bash bench/run.sh

# The chaos run of crates/clocker/tests/it/chaos.rs at full size; `make test`
# runs the same code with 10 faults and 50 clients. CHAOS_SEED replays a run.
CHAOS_KILLS ?= 100
CHAOS_CLIENTS ?= 500
chaos: web ## the full chaos run: a fleet under load, 100 random SIGKILL/SIGSTOPs, 500 WebSocket clients; prints its report (CHAOS_KILLS, CHAOS_CLIENTS, CHAOS_SEED)
	CHAOS_KILLS=$(CHAOS_KILLS) CHAOS_CLIENTS=$(CHAOS_CLIENTS) \
		$(CARGO) test -p clocker --test it -- chaos:: --nocapture

# cargo-fuzz on nightly (the stable build never sees fuzz/); `make test`
# replays the committed corpus on stable (crates/clocker/tests/it/fuzz_corpus.rs).
fuzz: ## run each fuzz target (nightly; installs cargo-fuzz): FUZZ_SECONDS (60) or FUZZ_RUNS each, FUZZ_TARGETS, FUZZ_NICE
	@bash scripts/fuzz.sh

fmt: ## format the code
	$(CARGO) fmt --all

lint: ## formatting check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
