#!/usr/bin/env bash
# The gallery's load tests (Artillery), the original's two tasks, against 127.0.0.1:
#
#   loadtest/run.sh task1|task2 [--backend embedded|scaled] [--rate N] [--duration SECONDS]
#                   [--p95 MS|none] [--classify on|off] [--users N] [--photos N] [--debug]
#
# task1: visitors sign in, load the gallery page and its thumbnails, open a folder.
# task2: visitors sign in and upload 1 to 5 photos (0.3 to 12 MP); afterwards every
#        acknowledged upload must be found stored, listed and (classifier on) classified.
#
# It seeds USERS users with PHOTOS photos each in nested folders, starts the server on the
# embedded default (SQLite + files + in-process classifier) or scaled (PostgreSQL +
# SeaweedFS + the classifier Lambda under `cargo lambda watch`), runs ramp-up / steady /
# ramp-down phases (a quarter, a half and a quarter of the duration; RATE new visitors per
# second in the steady phase), samples the server's CPU, memory and queue depth, stops
# everything it started and writes a Markdown report under loadtest/reports/, whose path it
# prints last. It fails when a visitor failed, when the p95 response time passed --p95
# (`--p95 none`: no latency bound, the timings are only reported; the test command's smoke
# runs use it, since a debug build on a busy machine says nothing about latency), or when
# an acknowledged upload was not found.
#
# Defaults: embedded, rate 10, 60 s, p95 250 ms, classifier on, 20 users of 300 photos,
# release build (--debug: the debug build, for smoke runs). LOADTEST_SERVER=PATH runs
# another build of the server against the same set-up (a before/after comparison);
# LOADTEST_REPORTS=DIR writes the report there instead; WORKERS=N gives Artillery N worker
# threads (its default is one fewer than the cores, here 1).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

usage() { sed -n '3,6p' "$0" >&2; exit 2; }
task="${1:-}"; shift || true
[[ "$task" == task1 || "$task" == task2 ]] || usage
backend=embedded rate=10 duration=60 p95=250 classify=on users=20 photos=300 profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --p95) p95="$2"; shift 2 ;;
    --classify) classify="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --photos) photos="$2"; shift 2 ;;
    --debug) profile=debug; shift ;;
    *) usage ;;
  esac
done
[[ "$backend" == embedded || "$backend" == scaled ]] || usage
[[ "$classify" == on || "$classify" == off ]] || usage
command_line="loadtest/run.sh $task --backend $backend --rate $rate --duration $duration --p95 $p95 --classify $classify --users $users --photos $photos$([ "$profile" = debug ] && echo ' --debug' || true)"

"$ROOT/scripts/setup.sh" --test >&2
photo_dir="$CACHE/loadtest-photos"
if [ ! -f "$photo_dir/photo-23-4000x3000.jpg" ]; then
  say "Making the photo set of Task 2" >&2
  "$CACHE/venv/bin/python" "$ROOT/loadtest/make_photos.py" "$photo_dir" >&2
fi

build=(-p gallery --bin gallery --example loadtest_seed)
[ "$backend" = scaled ] && build+=(-p classifier-lambda --bin classify-lambda)
if [ "$profile" = release ]; then
  say "Building (release)" >&2
  cargo build --release --quiet "${build[@]}" >&2
  bin="$CARGO_TARGET_DIR/release"
else
  cargo build --quiet "${build[@]}" >&2
  bin="$CARGO_TARGET_DIR/debug"
fi

work=$(mktemp -d /tmp/gallery-loadtest.XXXXXX)
pids=()
source "$ROOT/scripts/postgres.sh"
source "$ROOT/scripts/seaweedfs.sh"
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  stop_postgres
  stop_seaweedfs
  rm -rf "$work"
}
trap cleanup EXIT

export GALLERY_LOG=warn
if [ "$backend" = embedded ]; then
  export GALLERY_DATABASE_URL="sqlite://$work/gallery.db" GALLERY_STORAGE="fs:$work/objects"
  classifier=local
else
  say "Starting PostgreSQL, SeaweedFS and the Lambda emulator" >&2
  start_postgres
  psql -q "$PG_URL/postgres" -c "CREATE DATABASE loadtest" >/dev/null
  start_seaweedfs >&2
  export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true
  create_bucket loadtest
  export GALLERY_DATABASE_URL="$PG_URL/loadtest" GALLERY_STORAGE="s3://loadtest/run" GALLERY_S3_ENDPOINT="$S3_URL"
  export GALLERY_CALLBACK_SECRET="load-test-callback-secret-0123456789"
  lambda_port=$(free_port)
  "$CACHE/venv/bin/cargo-lambda" lambda watch --only-lambda-apis -A 127.0.0.1 -P "$lambda_port" >"$work/emulator.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$lambda_port") 2>/dev/null && break; sleep 0.1; done
  export GALLERY_LAMBDA_ENDPOINT="http://127.0.0.1:$lambda_port"
  classifier=lambda:classify-lambda
fi
[ "$classify" = off ] && classifier=off

say "Seeding $users users with $photos photos each" >&2
GALLERY_CLASSIFIER=off "$bin/examples/loadtest_seed" "$users" "$photos" "$work" >&2

# One client address sends everything here: the limits meant for the internet are lifted.
GALLERY_BIND=127.0.0.1:0 GALLERY_CLASSIFIER="$classifier" GALLERY_LOGIN_PER_IP=1000000000 \
  GALLERY_LOGIN_PER_ACCOUNT=1000000000 GALLERY_MAX_CONNECTIONS_PER_IP=100000 GALLERY_MAX_CONNECTIONS=100000 \
  "${LOADTEST_SERVER:-$bin/gallery}" serve >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
pids+=("$server_pid")
url=
for _ in $(seq 1 300); do
  url=$(sed -n 's/.*running at \(http:[^ ]*\).*/\1/p' "$work/server.out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/server.err" >&2; exit 1; }
if [ "$backend" = scaled ] && [ "$classify" = on ]; then
  for _ in 1 2; do
    AWS_LAMBDA_FUNCTION_NAME=classify-lambda AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048 \
      AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$lambda_port/.rt/classify-lambda" AWS_ENDPOINT_URL_S3="$S3_URL" \
      GALLERY_CALLBACK_ORIGINS="$url" RUST_LOG=warn "$bin/classify-lambda" 2>>"$work/function.log" &
    pids+=($!)
  done
fi
admin_token=$(python3 - "$url" "$work/admin.json" <<'PY'
import json, sys, urllib.request
url, admin = sys.argv[1], json.load(open(sys.argv[2]))
req = urllib.request.Request(f"{url}/api/v1/auth/login", json.dumps(admin).encode(), {"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)

"$CACHE/venv/bin/python" "$ROOT/loadtest/sample.py" "$server_pid" "$url" "$admin_token" "$work/artillery.pid" \
  "$work/samples.csv" &
sampler_pid=$!
pids+=("$sampler_pid")

ramp=$(( duration / 4 > 0 ? duration / 4 : 1 ))
steady=$(( duration - 2 * ramp > 0 ? duration - 2 * ramp : 1 ))
overrides=$(python3 - "$ramp" "$steady" "$rate" "$p95" <<'PY'
import json, sys
ramp, steady, rate = (int(a) for a in sys.argv[1:4])
ensure = {"maxErrorRate": 0}
if sys.argv[4] != "none":
    ensure["thresholds"] = [{"http.response_time.p95": int(sys.argv[4])}]
print(json.dumps({"config": {
    "phases": [
        {"name": "ramp-up", "duration": ramp, "arrivalRate": 1, "rampTo": rate},
        {"name": "steady", "duration": steady, "arrivalRate": rate},
        {"name": "ramp-down", "duration": ramp, "arrivalRate": rate, "rampTo": 1},
    ],
    "ensure": ensure,
}}))
PY
)

say "Running $task at $rate visitors/s ($ramp s up, $steady s steady, $ramp s down)" >&2
started=$(date +%s)
set +e
# The scenario runs from the run's folder, beside its users file.
cp "$ROOT/loadtest/$task.yml" "$ROOT/loadtest/processor.js" "$work/"
(cd "$work" && exec env ARTILLERY_DISABLE_TELEMETRY=true LOADTEST_PHOTOS="$photo_dir" \
  LOADTEST_ACKNOWLEDGED="$work/acknowledged.jsonl" LOADTEST_RECORDS="$work/records.jsonl" \
  "$ROOT/loadtest/node_modules/.bin/artillery" run "$task.yml" \
  --target "$url" --overrides "$overrides" --output "$work/artillery.json") >"$work/artillery.log" 2>&1 &
artillery_pid=$!
echo "$artillery_pid" >"$work/artillery.pid"
wait "$artillery_pid"
artillery_status=$?
set -e
ended=$(date +%s)
grep -E "^(ok|fail):" "$work/artillery.log" >&2 || true
if [ ! -s "$work/artillery.json" ]; then
  echo "Artillery did not finish:" >&2
  tail -30 "$work/artillery.log" >&2
fi

drain=""
verify_status=0
if [ "$task" = task2 ]; then
  if [ "$classify" = on ]; then
    say "Waiting for the classification queue to drain" >&2
    drain=$(python3 - "$url" "$admin_token" <<'PY'
import json, sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
start = time.monotonic()
while time.monotonic() - start < 3600:
    req = urllib.request.Request(f"{url}/api/v1/admin/stats", headers={"Authorization": f"Bearer {token}"})
    jobs = json.load(urllib.request.urlopen(req))["jobs"]
    if jobs.get("queued", 0) + jobs.get("running", 0) == 0:
        break
    time.sleep(0.5)
print(f"{time.monotonic() - start:.1f}")
PY
)
  fi
  say "Checking every acknowledged upload" >&2
  set +e
  "$CACHE/venv/bin/python" "$ROOT/loadtest/verify.py" "$url" "$work/users.csv" "$work/acknowledged.jsonl" \
    "$classify" "$work/verify.json" >&2
  verify_status=$?
  set -e
fi
sleep 1
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true

reports="${LOADTEST_REPORTS:-$ROOT/loadtest/reports}"
mkdir -p "$reports"
name="$task-$backend-rate$rate-$(date -u +%Y%m%dT%H%M%SZ)"
"$CACHE/venv/bin/python" "$ROOT/loadtest/report.py" \
  --artillery "$work/artillery.json" --samples "$work/samples.csv" --verify "$work/verify.json" \
  --records "$work/records.jsonl" \
  --phases "$ramp,$steady,$ramp" --drain "$drain" --command "$command_line" --started "$started" \
  --ended "$ended" --classify "$classify" --backend "$backend" --task "$task" --rate "$rate" \
  --server "${LOADTEST_SERVER:-}" --out "$reports/$name.md" >&2
echo "$reports/$name.md"
[ "$artillery_status" = 0 ] && [ "$verify_status" = 0 ]
