#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests (real server, real SQLite),
# the browser test (headless Chromium) and the API fuzzing (schemathesis).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test

say "cargo fmt and clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "Rust tests (SQLite)"
log=$(mktemp)
cargo test --workspace 2>&1 | tee "$log"
passed=$(awk '/^test result:/ { n += $4 } END { print n + 0 }' "$log")
failed=$(awk '/^test result:/ { n += $6 } END { print n + 0 }' "$log")

say "Rust server tests again on PostgreSQL"
source "$ROOT/scripts/postgres.sh"
start_postgres
trap stop_postgres EXIT
GALLERY_TEST_POSTGRES="$PG_URL" cargo test --workspace --test '*' 2>&1 | tee "$log"
passed=$((passed + $(awk '/^test result:/ { n += $4 } END { print n + 0 }' "$log")))
stop_postgres

say "Browser tests (headless Chromium)"
mkdir -p "$ROOT/test-results"
(cd tests/browser && GALLERY_BIN="$CARGO_TARGET_DIR/debug/gallery" SCREENSHOTS="$ROOT/test-results" node --test) | tee "$log"
passed=$((passed + $(awk '/^# pass/ { print $3 }' "$log")))

say "API fuzzing (schemathesis)"
"$ROOT/scripts/schemathesis.sh"
passed=$((passed + 1))
rm -f "$log"

echo
echo "all: $passed passed, $failed failed"
