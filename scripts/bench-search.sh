#!/usr/bin/env bash
# Search latency on 100 000 photos' worth of rows across 50 users, on SQLite and on
# PostgreSQL (a local cluster, started here) in one run: p50/p99 for a one-word query, a
# hypernym ("animal") and two words. The aim is a p99 under 50 ms.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
source "$ROOT/scripts/postgres.sh"
trap 'stop_postgres' EXIT
cargo build --release --workspace --examples --quiet
say "SQLite (embedded default)"
"$CARGO_TARGET_DIR/release/examples/search_bench"
start_postgres
psql -q "$PG_URL/postgres" -c "CREATE DATABASE search_bench" >/dev/null
say "PostgreSQL"
BENCH_DATABASE_URL="$PG_URL/search_bench" "$CARGO_TARGET_DIR/release/examples/search_bench"
