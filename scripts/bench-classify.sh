#!/usr/bin/env bash
# Classifier figures: photos per second of `classify` on 50 JPEGs of ~12 MP against the
# Python reference (onnxruntime + Pillow, with and without Image.draft) in the same run,
# with the default model (BENCH_MODEL=DIR for another); ms per photo of every model
# (EfficientNet-Lite0/1/2 and ResNet50's untrained graph, fp32 and int8, as
# scripts/make-models.sh makes them in .cache/models), batch 1 and 8, on one and two
# threads; peak resident memory of the server with the model loaded.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
py="$CACHE/venv/bin/python"
photos="$CACHE/bench-photos"
[ -f "$photos/photo-49.jpg" ] || "$py" classifier-lambda/tools/make_bench_photos.py "$photos" 50
resnet="$CACHE/models/resnet50-untrained"
[ -f "$resnet/model.onnx" ] || "$py" classifier-lambda/tools/make_resnet50_untrained.py "$resnet"
cargo build --release --workspace --quiet
cargo build --release --workspace --quiet --examples
lite0=${BENCH_MODEL:-classifier-lambda/models/efficientnet-lite0}

rate() { python3 -c "import sys; print(f'{50 / float(sys.argv[1]):.1f}')" "$1"; }
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print($e - $s)"; }

say "50 JPEGs of 4000x3000, decode included"
rust=$(timed "$CARGO_TARGET_DIR/release/classify" --model "$lite0" "$photos"/*.jpg)
draft=$(timed "$py" classifier-lambda/tools/reference.py --model "$lite0" --bench "$photos"/*.jpg)
plain=$(timed "$py" classifier-lambda/tools/reference.py --model "$lite0" --bench --no-draft "$photos"/*.jpg)
# The strongest fair Python: one process per core, each a one-thread session over half
# of the photos (as classify runs one one-thread session per core).
both() {
  local half=$(( ${#files[@]} / 2 ))
  "$py" classifier-lambda/tools/reference.py --model "$lite0" --bench --threads 1 "${files[@]:0:$half}" &
  local first=$!
  "$py" classifier-lambda/tools/reference.py --model "$lite0" --bench --threads 1 "${files[@]:$half}"
  wait "$first"
}
files=("$photos"/*.jpg)
two=$(timed both)
echo "classify (Rust, libjpeg-turbo DCT scaling, one session per core): $(rate "$rust") photos/s"
echo "Python, 2 processes of 1 thread, Pillow with Image.draft():   $(rate "$two") photos/s"
echo "Python onnxruntime + Pillow with Image.draft():               $(rate "$draft") photos/s"
echo "Python onnxruntime + Pillow without draft:                    $(rate "$plain") photos/s"
python3 -c "import sys; r, t, d, p = map(float, sys.argv[1:]); print(f'ratio against 2 processes with draft: {t / r:.2f}x, one process with draft: {d / r:.2f}x, without draft: {p / r:.2f}x')" "$rust" "$two" "$draft" "$plain"

say "Network alone: ms per photo"
others=()
for m in efficientnet-lite0-int8 efficientnet-lite1 efficientnet-lite1-int8 efficientnet-lite2 efficientnet-lite2-int8 resnet50-untrained-int8; do
  [ -f "$CACHE/models/$m/model.json" ] && others+=("$CACHE/models/$m")
done
[ ${#others[@]} -gt 1 ] || echo "(the other models are made by scripts/make-models.sh)"
"$CARGO_TARGET_DIR/release/examples/model_speed" classifier-lambda/models/efficientnet-lite0 "$resnet" "${others[@]}"

say "Server peak memory with the model loaded (2 workers, 20 photos classified)"
work=$(mktemp -d)
GALLERY_BIND=127.0.0.1:0 GALLERY_DATABASE_URL="sqlite://$work/g.db" GALLERY_STORAGE="fs:$work/objects" GALLERY_CLASSIFIER_WORKERS=2 \
  "$CARGO_TARGET_DIR/release/gallery" serve >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do url=$(sed -n 's/.*running at \(http:[^ ]*\).*/\1/p' "$work/out"); [ -n "$url" ] && break; sleep 0.1; done
curl -sf -X POST "$url/api/v1/auth/signup" -H 'content-type: application/json' -d '{"email":"b@example.org","password":"correct horse battery"}' >/dev/null
token=$(curl -sf -X POST "$url/api/v1/auth/login" -H 'content-type: application/json' -d '{"email":"b@example.org","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "after start-up: $(awk '/VmRSS/ {print $2 / 1024 " MB"}' /proc/$pid/status) resident"
for i in $(seq 0 19); do
  curl -sf -X POST "$url/api/v1/images" -H "authorization: Bearer $token" -F "file=@$photos/photo-$(printf %02d "$i").jpg" >/dev/null
done
while curl -sf "$url/api/v1/images" -H "authorization: Bearer $token" | grep -q '"status":"\(queued\|fetching\|preprocessing\|predicting\)"'; do sleep 0.5; done
echo "peak resident memory: $(awk '/VmHWM/ {print $2 / 1024 " MB"}' /proc/$pid/status) (20 uploads of 12 MP decoded for thumbnails and classified)"
