# The two commands: `make run` (install what is missing, build, serve) and `make test`.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps build run test unit clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build build -j $(JOBS)

run: build
	./build/annal serve $(ARGS)

unit: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

test: unit

clean:
	rm -rf build build-*
