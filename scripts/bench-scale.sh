#!/usr/bin/env bash
# The benchmark of scripts/bench.sh twice in one run: on the embedded default (SQLite and
# files) and on PostgreSQL + S3 (a local cluster and SeaweedFS, started here).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
source "$ROOT/scripts/postgres.sh"
source "$ROOT/scripts/seaweedfs.sh"
trap 'stop_seaweedfs; stop_postgres' EXIT
cargo build --release --workspace --examples --quiet
say "Embedded default"
"$CARGO_TARGET_DIR/release/examples/bench"
start_postgres
start_seaweedfs
psql -q "$PG_URL/postgres" -c "CREATE DATABASE bench" >/dev/null
say "PostgreSQL + S3"
AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  BENCH_DATABASE_URL="$PG_URL/bench" BENCH_STORAGE="s3://bench/photos" BENCH_S3_ENDPOINT="$S3_URL" \
  "$CARGO_TARGET_DIR/release/examples/bench"
