#!/usr/bin/env bash
# Regenerates .sqlx/ (the offline query cache) against a scratch database with the migrations applied.
set -euo pipefail
cd "$(dirname "$0")/.."
db=dgs_sqlx_prepare
psql -h 127.0.0.1 -U postgres -qc "drop database if exists $db" -c "create database $db"
for f in migrations/*.sql; do psql -h 127.0.0.1 -U postgres -d $db -q -v ON_ERROR_STOP=1 -f "$f"; done
rm -rf .sqlx && mkdir .sqlx
touch engine/src/lib.rs
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" cargo check -p engine
echo "wrote $(ls .sqlx | wc -l) queries to .sqlx/"
