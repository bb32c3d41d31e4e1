#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests (real server on real SQLite, then
# again on a PostgreSQL cluster of its own; S3 tests on SeaweedFS), the model tests again on
# an emulated CPU without AVX-512 (qemu-x86_64 -cpu Haswell: ONNX Runtime takes other
# kernels there), the browser tests (headless Chromium), the API fuzzing (schemathesis),
# smoke runs of the load tests (Artillery) and the deployment: the Lambda packages, the
# container image's file system and the AWS template (deploy/). Starts and stops every
# server.
#
# Every suite runs even when one before it failed; the end prints one summary of what
# failed, and the exit status is non-zero when anything did.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test

passed=0
failed_tests=0
results=()
failures=()
logs=$(mktemp -d)

# suite NAME COMMAND...: runs one suite, keeps going when it fails, and remembers how it went.
suite() {
  local name="$1" started status
  shift
  say "$name"
  started=$(date +%s)
  set +e
  ( set -e; "$@" )
  status=$?
  set -e
  local took=$(( $(date +%s) - started ))
  if [ "$status" = 0 ]; then
    results+=("ok      ${took}s  $name")
  else
    results+=("FAILED  ${took}s  $name")
    failures+=("$name")
  fi
}

# cargo_tests LOG ARGS...: `cargo test` with ARGS, every test binary run even after one
# failed; adds its counts to the totals (read back from LOG by count_cargo).
cargo_tests() {
  local log="$1"
  shift
  cargo test --no-fail-fast "$@" 2>&1 | tee "$log"
}

# count_cargo LOG: the passed and failed tests of a `cargo test` log, added to the totals;
# the failed tests' names and the test programs that did not finish go to the summary.
count_cargo() {
  local log="$1"
  [ -f "$log" ] || return 0
  passed=$((passed + $(awk '/^test result:/ { n += $4 } END { print n + 0 }' "$log")))
  failed_tests=$((failed_tests + $(awk '/^test result:/ { n += $6 } END { print n + 0 }' "$log")))
  grep -E '^test .* \.\.\. FAILED$|^    [^ ].*--(test|lib|bin|example)|^error: .*(failed|could not compile)' "$log" \
    | sed 's/^/          /' >>"$logs/failed-names" || true
}

lints() {
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --quiet -- -D warnings
}
suite "cargo fmt and clippy" lints

# The layering and the size of the rooms: no cycle among the server's modules, HTTP only
# at the edge (scripts/module-graph.py), and no product source file over 500 lines.
structure() {
  python3 "$ROOT/scripts/module-graph.py" "$ROOT/server/src"
  local long
  long=$(find "$ROOT"/server/src "$ROOT"/speech/src "$ROOT"/intent/src "$ROOT"/classifier-lambda/src \
    -name '*.rs' -exec awk 'END { if (NR > 500) print FILENAME ": " NR " lines" }' {} \;)
  if [ -n "$long" ]; then
    echo "product source files over 500 lines:" >&2
    echo "$long" >&2
    return 1
  fi
}
suite "The server's structure (no cycle, HTTP only at the edge, no file over 500 lines)" structure

lambda_packages() {
  "$ROOT/deploy/lambda.sh" all
  # The check can fail: an arm64 zip is not an x86_64 one.
  if python3 "$ROOT/deploy/check-lambda.py" "$CACHE/lambda/classify-lambda-arm64.zip" x86_64 >/dev/null; then
    echo "deploy/check-lambda.py took the arm64 zip for an x86_64 one" >&2
    return 1
  fi
}
suite "The Lambda packages, x86_64 and arm64 (cargo lambda build, checked by deploy/check-lambda.py)" lambda_packages
# The end-to-end Lambda tests run the x86_64 package as Lambda would (server/tests/lambda.rs).
if [ -d "$CACHE/lambda/x86_64" ]; then
  GALLERY_TEST_LAMBDA_PACKAGE="$(cd "$CACHE/lambda/x86_64" && pwd -P)"
  export GALLERY_TEST_LAMBDA_PACKAGE
fi

say "Starting SeaweedFS (S3), the OpenID Connect provider (oidc-provider) and the SMTP server (aiosmtpd)"
source "$ROOT/scripts/seaweedfs.sh"
source "$ROOT/scripts/postgres.sh"
source "$ROOT/scripts/oidc.sh"
source "$ROOT/scripts/mail.sh"
trap 'stop_seaweedfs; stop_postgres; stop_oidc; stop_mail; rm -rf "$logs"' EXIT
start_seaweedfs
export GALLERY_TEST_S3="$S3_URL" AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
start_oidc
export GALLERY_TEST_OIDC="$OIDC_URL"
start_mail
# The mail tests read what the server sent from MAIL_DIR; a test that needs a mail server
# that comes up late starts its own with this Python.
export GALLERY_TEST_SMTP="$SMTP_ADDR" GALLERY_TEST_MAIL_DIR="$MAIL_DIR" \
  GALLERY_TEST_PYTHON="$CACHE/venv/bin/python"

suite "Rust tests (SQLite)" cargo_tests "$logs/sqlite" --workspace
count_cargo "$logs/sqlite"

# The model tests again on an emulated Haswell (AVX2, FMA, no AVX-512): ONNX Runtime picks
# its kernels by CPU, and the floats of int8 and float kernels differ in their last bits,
# so a check of a model's output must hold on both (README, "Supported CPUs").
# Emulation is 20 to 40 times slower, so it runs the tests that check a model's output:
# all of the model crates' but the 64 spoken commands (over 20 minutes there) and the DCT
# decoding check (no model), every voice command through the server, and the server's
# checks of labels and of a transcript; the servers of the tests answer a request in 10
# minutes instead of 30 s there (a voice command takes about a minute).
emulated_models() {
  export GALLERY_REQUEST_TIMEOUT_SECS=600 CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$ROOT/scripts/emulated-cpu.sh"
  local status=0
  # --workspace, as the tests above: a package alone has other features, and cargo would
  # build everything again for it.
  cargo_tests "$logs/emulated-models" --workspace --test audio --test commands --test mel --test model \
    --test cli --test pipeline --test voice \
    -- --skip spoken_commands_are_understood_as_well_as_measured \
    --skip a_coarser_dct_decode_is_made_from_a_finer_one_to_a_fraction_of_a_level || status=1
  cargo_tests "$logs/emulated-server" --workspace --test classification --test transcription -- \
    every_upload_gets_its_top_three_labels an_upload_is_classified_from_its_small_rendition \
    a_spoken_command_comes_back_as_words_and_an_intent || status=1
  return "$status"
}
suite "Model tests on an emulated CPU without AVX-512 (qemu-x86_64 -cpu Haswell)" emulated_models
for log in "$logs"/emulated-*; do count_cargo "$log"; done

postgres_tests() {
  GALLERY_TEST_POSTGRES="$PG_URL" GALLERY_TEST_PG_DIR="$PG_DIR" GALLERY_TEST_PG_CA="$PG_CA" \
    cargo_tests "$logs/postgres" --workspace --exclude speech --test '*'
}
start_postgres
suite "Rust server tests again on PostgreSQL" postgres_tests
stop_postgres
count_cargo "$logs/postgres"

browser_tests() {
  mkdir -p "$ROOT/test-results"
  cd tests/browser
  GALLERY_BIN="$CARGO_TARGET_DIR/debug/gallery" SCREENSHOTS="$ROOT/test-results" node --test | tee "$logs/browser"
}
suite "Browser tests (headless Chromium)" browser_tests
if [ -f "$logs/browser" ]; then
  passed=$((passed + $(awk '/^# pass/ { print $3 }' "$logs/browser")))
  failed_tests=$((failed_tests + $(awk '/^# fail/ { print $3 }' "$logs/browser")))
  grep -E '^not ok' "$logs/browser" | sed 's/^/          /' >>"$logs/failed-names" || true
fi

suite "API fuzzing (schemathesis)" "$ROOT/scripts/schemathesis.sh"
stop_seaweedfs

# Low rates on the debug build: these prove the runner, the scenarios and the upload check
# work (no visitor fails, every acknowledged upload is found). They bound no latency: a
# debug build on a machine busy with other work says nothing about it; they print their
# timings, and the figures come from the README's long runs on the release build.
export LOADTEST_REPORTS="$ROOT/test-results/loadtest"
smoke() {
  local report status=0
  report=$(loadtest/run.sh "$@" --p95 none --debug) || status=$?
  [ -f "$report" ] && grep -E '^\| whole run|^Result:' "$report"
  return "$status"
}
suite "Load test smoke run, Task 1 (Artillery, embedded default)" smoke task1 --rate 2 --duration 8 --users 3 --photos 40
suite "Load test smoke run, Task 2 (Artillery, embedded default)" smoke task2 --rate 2 --duration 8 --users 3 --photos 20

suite "The container image: the server in the runtime file system, read-only (deploy/image.sh)" \
  "$ROOT/deploy/image.sh" check
suite "The AWS template and the compose file (cfn-lint, checkov: deploy/check.sh)" "$ROOT/deploy/check.sh"

# The suites that are not counted test by test above count as one test each.
for name in "The server's structure" "API fuzzing" "Load test smoke run, Task 1" "Load test smoke run, Task 2" "The Lambda packages" \
  "The container image" "The AWS template"; do
  if printf '%s\n' "${failures[@]}" | grep -q "^$name"; then
    failed_tests=$((failed_tests + 1))
  else
    passed=$((passed + 1))
  fi
done

echo
say "Summary"
printf '  %s\n' "${results[@]}"
if [ -s "$logs/failed-names" ]; then
  echo "  What failed:"
  cat "$logs/failed-names"
fi
echo
echo "all: $passed passed, $failed_tests failed"
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed suites: ${#failures[@]} of ${#results[@]}"
  exit 1
fi
