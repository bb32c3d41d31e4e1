#!/usr/bin/env bash
# What sharing costs a reader, on SQLite and on PostgreSQL (a local cluster, started here)
# in one run: the first page of a folder of 5 000 shared with a friend against its owner's
# own (aim: p99 ratio ≤ 1.2), and a search across 50 folders shared with one person
# against searching one's own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
source "$ROOT/scripts/postgres.sh"
trap 'stop_postgres' EXIT
cargo build --release -p gallery --example sharing_bench --quiet
say "SQLite (embedded default)"
"$CARGO_TARGET_DIR/release/examples/sharing_bench"
start_postgres
psql -q "$PG_URL/postgres" -c "CREATE DATABASE sharing_bench" >/dev/null
say "PostgreSQL"
BENCH_DATABASE_URL="$PG_URL/sharing_bench" "$CARGO_TARGET_DIR/release/examples/sharing_bench"
