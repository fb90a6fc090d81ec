# The two commands: `make run` (install what is missing, build, serve) and `make test`
# (install, build, a short fuzz smoke run, then every test: unit + integration via ctest).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
JOBS ?= $(shell nproc)
ARGS ?=
FUZZ_SECONDS ?= 30
CTEST_ARGS ?=

.PHONY: all deps test-deps configure build run test unit integration integration-deps fuzz-smoke bench clean

all: build

deps:
	@bash scripts/install-deps.sh

# Build deps plus what only the tests need: promtool (Debian package prometheus), Node.js.
test-deps:
	@bash scripts/install-deps.sh --test

configure:
	@cmake --preset release >/dev/null

build: deps configure
	@cmake --build build -j $(JOBS)

# Builds only the server binary: the fastest way from a clean clone to a running server.
run: deps configure
	@cmake --build build -j $(JOBS) --target annal
	./build/annal serve $(ARGS)

# Node packages of the integration tests (DuckDB, whose native library ships inside its npm
# package: nothing else is downloaded). Exact versions: package.json pins @duckdb/node-api, which
# pins its bindings exactly, so the tree is fixed without the lock file; `--no-package-lock`
# keeps npm from rewriting package-lock.json (which lacks the other platforms' optional
# packages, so `npm ci` refuses it). Runs only when either file changed since the last install.
INTEGRATION_STAMP := tests/integration/node_modules/.annal-installed
integration-deps: $(INTEGRATION_STAMP)
$(INTEGRATION_STAMP): tests/integration/package.json tests/integration/package-lock.json
	@cd tests/integration && npm install --no-audit --no-fund --no-package-lock --loglevel=error
	@touch $@

test: test-deps configure integration-deps
	@cmake --build build -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-smoke
	ctest --test-dir build --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Subsets, for development.
unit: build
	ctest --test-dir build --output-on-failure -j $(JOBS) -LE integration
integration: build integration-deps
	ctest --test-dir build --output-on-failure -L integration

# Builds the libFuzzer targets (clang, preset `fuzz`) and runs each for FUZZ_SECONDS.
# Targets that do not exist yet are skipped.
fuzz-smoke:
	@JOBS=$(JOBS) FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz-smoke.sh

# Load benchmark (not part of `make test`): docs/benchmarks.md.
bench:
	@bash bench/run.sh

clean:
	rm -rf build build-*
