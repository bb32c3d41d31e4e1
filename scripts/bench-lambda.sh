#!/usr/bin/env bash
# Classification throughput through the Lambda emulator against the embedded worker pool,
# in one run: the release server classifies the same 40 JPEGs of 12 MP (uploaded 4 at a
# time) first with its in-process workers (SQLite + files), then by invoking the release
# `classify-lambda` function (2 instances, one per core) under `cargo lambda watch`, with
# the photos in SeaweedFS. Prints photos classified per second from the first upload to
# the last label, and the ratio; then the function's own time per photo (fetch, prepare and
# predict, as it reported them), and what 1 000 photos cost at Lambda's x86_64 price.
# FUNCTION_BIN runs another build of the function, e.g. the deployment package's:
#   deploy/lambda.sh x86_64 && FUNCTION_BIN=.cache/lambda/x86_64/bootstrap scripts/bench-lambda.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
photos="$CACHE/bench-photos"
[ -f "$photos/photo-39.jpg" ] || "$CACHE/venv/bin/python" classifier-lambda/tools/make_bench_photos.py "$photos" 50
cargo build --release --workspace --quiet
source "$ROOT/scripts/seaweedfs.sh"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  stop_seaweedfs
  rm -rf "$work"
}
trap cleanup EXIT
N=40

# serve NAME ENV...: starts the release server with these settings; sets URL and TOKEN.
serve() {
  local name="$1"; shift
  env GALLERY_BIND=127.0.0.1:0 GALLERY_LOG=warn GALLERY_DATABASE_URL="sqlite://$work/$name.db" "$@" \
    "$CARGO_TARGET_DIR/release/gallery" serve >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  URL=
  for _ in $(seq 1 200); do
    URL=$(sed -n 's/.*running at \(http:[^ ]*\).*/\1/p' "$work/$name.out")
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$work/$name.err" >&2; return 1; }
  local body='{"email":"bench@example.org","password":"correct horse battery"}'
  curl -sf -X POST "$URL/api/v1/auth/signup" -H 'content-type: application/json' -d "$body" >/dev/null
  TOKEN=$(curl -sf -X POST "$URL/api/v1/auth/login" -H 'content-type: application/json' -d "$body" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

# classify_all: uploads the photos and waits for every label; prints photos per second.
classify_all() {
  local start end
  start=$(date +%s.%N)
  seq 0 $((N - 1)) | xargs -P 4 -I{} sh -c \
    'curl -sf -X POST "$1/api/v1/images" -H "authorization: Bearer $2" -F "file=@$3/photo-$(printf %02d {}).jpg" >/dev/null' \
    _ "$URL" "$TOKEN" "$photos"
  while curl -sf "$URL/api/v1/images" -H "authorization: Bearer $TOKEN" |
    grep -q '"status":"\(queued\|fetching\|preprocessing\|predicting\)"'; do sleep 0.2; done
  end=$(date +%s.%N)
  local errors
  errors=$(curl -sf "$URL/api/v1/images" -H "authorization: Bearer $TOKEN" | grep -o '"status":"error"' | wc -l)
  [ "$errors" = 0 ] || { echo "$errors photos ended in error" >&2; return 1; }
  python3 -c "import sys; print(f'{int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):.2f}')" "$N" "$start" "$end"
}

say "Embedded default: 2 in-process workers, SQLite, files"
serve local GALLERY_STORAGE="fs:$work/objects" GALLERY_CLASSIFIER=local GALLERY_CLASSIFIER_WORKERS=2
local_rate=$(classify_all)
echo "embedded: $local_rate photos/s"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

say "Lambda: classify-lambda under cargo lambda watch (2 instances), photos in SeaweedFS"
start_seaweedfs
export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
port=$(free_port)
"$CACHE/venv/bin/cargo-lambda" lambda watch --only-lambda-apis -A 127.0.0.1 -P "$port" >"$work/emulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
create_bucket bench
serve lambda GALLERY_STORAGE="s3://bench/photos" GALLERY_S3_ENDPOINT="$S3_URL" \
  GALLERY_CLASSIFIER=lambda:classify-lambda GALLERY_CALLBACK_SECRET=bench-callback-secret-0123456789 \
  GALLERY_LAMBDA_ENDPOINT="http://127.0.0.1:$port"
# The function trusts events about this gallery only: its bucket and prefix, its address.
for _ in 1 2; do
  AWS_LAMBDA_FUNCTION_NAME=classify-lambda AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048 \
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/classify-lambda" AWS_ENDPOINT_URL_S3="$S3_URL" \
    GALLERY_S3_PATH_STYLE=true GALLERY_STORAGE="s3://bench/photos" GALLERY_CALLBACK_ORIGINS="$URL" \
    RUST_LOG=warn "${FUNCTION_BIN:-$CARGO_TARGET_DIR/release/classify-lambda}" 2>>"$work/function.log" &
  pids+=($!)
done
lambda_rate=$(classify_all)
echo "Lambda (emulator): $lambda_rate photos/s"
python3 -c "import sys; print(f'Lambda against embedded: {float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$lambda_rate" "$local_rate"
# The function's own time per photo, from the steps it reported (the jobs table), and the
# cost of 1 000 photos at 2 048 MB: by that time (a lower bound: the callbacks' round trips
# come on top) and by the throughput of the 2 instances (an upper bound: this machine's two
# cores also made the renditions).
python3 - "$work/lambda.db" "$lambda_rate" <<'EOF'
import sqlite3, statistics, sys
rows = [r[0] for r in sqlite3.connect(sys.argv[1]).execute(
    "SELECT fetch_ms + prepare_ms + predict_ms FROM jobs WHERE state = 'done' AND backend = 'lambda'")]
rows.sort()
mean, p95 = statistics.mean(rows), rows[int(0.95 * (len(rows) - 1))]
bound = 2 / float(sys.argv[2]) * 1000
gb_s = 0.0000166667 * 2  # x86_64, per second at 2 GB
print(f"function steps per photo: mean {mean:.0f} ms, p95 {p95:.0f} ms ({len(rows)} photos)")
print(f"per invocation at most {bound:.0f} ms (2 instances / throughput)")
print(f"1 000 photos at 2048 MB, x86_64: ${1000 * mean / 1000 * gb_s:.4f} (steps) to ${1000 * bound / 1000 * gb_s:.4f} (bound), plus $0.0002 of requests")
EOF
