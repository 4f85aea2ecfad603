# Two commands do everything on a fresh Debian/Ubuntu machine:
#   make run    installs what is missing, starts PostgreSQL and Redis, migrates, builds (optimised) and serves :3000
#   make test   the same set-up plus Chromium, then unit, integration and browser tests
SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/dgs/target
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dgs
export REDIS_URL ?= redis://127.0.0.1:6379
export LEPTOS_SITE_ROOT ?= $(CURDIR)/target/site
export LEPTOS_OUTPUT_NAME := dgs
export PLAYWRIGHT_SKIP_DRIVER_DOWNLOAD := 1
# Read at compile time by leptos: the same value as cargo-leptos uses keeps one build for both.
export PLAYWRIGHT_NODE_EXE ?= $(shell command -v node)
export PLAYWRIGHT_CLI_JS ?= $(CURDIR)/node_modules/playwright-core/cli.js

.PHONY: run test build setup sqlx-prepare

# An optimised build (server and wasm): what a user gets is the speed the benchmarks measure.
run:
	scripts/setup.sh run
	cargo leptos serve --release

build:
	cargo leptos build

test:
	DGS_DB_NAME=dgs scripts/setup.sh test
	cargo leptos build
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres DGS_BIN=$(CARGO_TARGET_DIR)/debug/dgs \
		cargo nextest run --workspace --exclude frontend --no-fail-fast

# After changing a query or a migration: refresh the committed offline query cache (.sqlx/).
sqlx-prepare:
	scripts/sqlx-prepare.sh
