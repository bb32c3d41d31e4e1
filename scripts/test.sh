#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests (real server on real SQLite, then
# again on a PostgreSQL cluster of its own; S3 tests on SeaweedFS), the browser tests
# (headless Chromium), the API fuzzing (schemathesis), smoke runs of the load tests
# (Artillery) and the deployment: the Lambda packages, the container image's file system
# and the AWS template (deploy/). Starts and stops every server.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test

say "cargo fmt and clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "The Lambda packages, x86_64 and arm64 (cargo lambda build, checked by deploy/check-lambda.py)"
"$ROOT/deploy/lambda.sh" all
# The check can fail: an arm64 zip is not an x86_64 one.
if python3 "$ROOT/deploy/check-lambda.py" "$CACHE/lambda/classify-lambda-arm64.zip" x86_64 >/dev/null; then
  echo "deploy/check-lambda.py took the arm64 zip for an x86_64 one" >&2
  exit 1
fi
# The end-to-end Lambda tests run the x86_64 package as Lambda would (server/tests/lambda.rs).
GALLERY_TEST_LAMBDA_PACKAGE="$(cd "$CACHE/lambda/x86_64" && pwd -P)"
export GALLERY_TEST_LAMBDA_PACKAGE

say "Starting SeaweedFS (S3) for the storage tests"
source "$ROOT/scripts/seaweedfs.sh"
source "$ROOT/scripts/postgres.sh"
source "$ROOT/scripts/oidc.sh"
trap 'stop_seaweedfs; stop_postgres; stop_oidc' EXIT
start_seaweedfs
export GALLERY_TEST_S3="$S3_URL" AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
say "Starting the OpenID Connect provider (oidc-provider)"
start_oidc
export GALLERY_TEST_OIDC="$OIDC_URL"

say "Rust tests (SQLite)"
log=$(mktemp)
cargo test --workspace 2>&1 | tee "$log"
passed=$(awk '/^test result:/ { n += $4 } END { print n + 0 }' "$log")
failed=$(awk '/^test result:/ { n += $6 } END { print n + 0 }' "$log")

say "Rust server tests again on PostgreSQL"
start_postgres
GALLERY_TEST_POSTGRES="$PG_URL" GALLERY_TEST_PG_DIR="$PG_DIR" cargo test --workspace --exclude speech --test '*' 2>&1 | tee "$log"
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
stop_seaweedfs

say "Load tests, smoke runs of both tasks (Artillery, embedded default)"
# Low rates on the debug build: these prove the runner, the scenarios and the upload check
# work; the figures come from the README's long runs on the release build.
export LOADTEST_REPORTS="$ROOT/test-results/loadtest"
loadtest/run.sh task1 --rate 2 --duration 8 --users 3 --photos 40 --p95 2000 --debug
loadtest/run.sh task2 --rate 2 --duration 8 --users 3 --photos 20 --p95 5000 --debug
passed=$((passed + 2))

say "The container image: the server in the runtime file system, read-only (deploy/image.sh)"
"$ROOT/deploy/image.sh" check
say "The AWS template and the compose file (cfn-lint, checkov: deploy/check.sh)"
"$ROOT/deploy/check.sh"
# Both Lambda packages, the image and the template.
passed=$((passed + 4))

echo
echo "all: $passed passed, $failed failed"
