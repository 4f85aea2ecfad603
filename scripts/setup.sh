#!/usr/bin/env bash
# Installs and starts everything the project needs on a fresh Debian/Ubuntu machine, and skips what is
# already there, so `make run` and `make test` can call it every time. Usage: scripts/setup.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- toolchain -------------------------------------------------------------------------------
command -v cargo >/dev/null || { echo "cargo is required (install rustup first)"; exit 1; }
apt_install pkg-config build-essential mold postgresql-client redis-tools curl
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if [ "$mode" = test ] && ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"; cargo install cargo-nextest --locked
fi
# cargo-leptos 0.3.11 needs a newer rustc than this machine's; 0.3.10 is the one known to work.
if ! cargo leptos --version 2>/dev/null | grep -q '0.3.10'; then
  log "installing cargo-leptos 0.3.10 (about 17 minutes, once)"
  cargo install cargo-leptos --locked --version 0.3.10
fi
# cargo-leptos downloads wasm-bindgen from GitHub unless it is on PATH at the version in Cargo.lock.
wb_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q "$wb_version"; then
  log "installing wasm-bindgen-cli $wb_version"
  # not --locked: its lock file names a crate version the registry here does not serve
  cargo install wasm-bindgen-cli --version "$wb_version"
fi
# wasm-opt (npm binaryen; Debian's is too old and breaks hydration) and playwright-core for e2e tests.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ]; then
  log "npm ci (binaryen, playwright-core)"; npm ci --no-audit --no-fund --loglevel=error
fi

# --- services --------------------------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  log "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start"; exit 1; }
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis-cli ping >/dev/null 2>&1 && break; sleep 1; done
fi
# A fresh Debian cluster only trusts local socket users; our URL connects as postgres over TCP.
psql_admin() { psql -h 127.0.0.1 -U postgres -d postgres -tAq "$@" 2>/dev/null || $SUDO -u postgres psql -d postgres -tAq "$@"; }
db_name="${DGS_DB_NAME:-dgs}"
if ! psql_admin -c "select 1 from pg_database where datname='$db_name'" | grep -q 1; then
  log "creating database $db_name"; psql_admin -c "create database \"$db_name\""
fi

if [ "$mode" = test ]; then
  command -v chromium >/dev/null || apt_install chromium
  # schemathesis (PyPI) for the hostile-input suite, in a venv beside the build caches.
  st_venv="$(dirname "${CARGO_TARGET_DIR:-$HOME/.cache/dgs/target}")/schemathesis-venv"
  if ! "$st_venv/bin/schemathesis" --version 2>/dev/null | grep -q '4\.'; then
    log "installing schemathesis (PyPI)"
    python3 -m venv "$st_venv" || { apt_install python3-venv; python3 -m venv "$st_venv"; }
    "$st_venv/bin/pip" install -q 'schemathesis>=4.32,<5'
  fi
fi
log "ready"
