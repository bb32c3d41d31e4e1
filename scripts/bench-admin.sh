#!/usr/bin/env bash
# The admin dashboard's page time with 1 000 users and 100 000 photos (p50/p99 of /admin
# and of the panels it refreshes), and the plan of each query it runs, on SQLite and on
# PostgreSQL (a local cluster, started here) in one run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
source "$ROOT/scripts/postgres.sh"
trap 'stop_postgres' EXIT
cargo build --release -p gallery --example admin_bench --quiet
say "SQLite (embedded default)"
"$CARGO_TARGET_DIR/release/examples/admin_bench"
start_postgres
psql -q "$PG_URL/postgres" -c "CREATE DATABASE admin_bench" >/dev/null
say "PostgreSQL"
BENCH_DATABASE_URL="$PG_URL/admin_bench" "$CARGO_TARGET_DIR/release/examples/admin_bench"
