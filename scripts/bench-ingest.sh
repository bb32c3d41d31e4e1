#!/usr/bin/env bash
# Decode once: photos per second from upload to labels on 40 JPEGs of 12 MP against the
# bare DCT decode of the same files, CPU ms per step, the bytes a Lambda reads per photo,
# all in one run. BENCH_BEFORE=PATH adds an earlier server build to compare with.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
py="$CACHE/venv/bin/python"
photos="$CACHE/bench-photos"
[ -f "$photos/photo-39.jpg" ] || "$py" classifier-lambda/tools/make_bench_photos.py "$photos" 50
set40=$(mktemp -d)
trap 'rm -rf "$set40"' EXIT
for i in $(seq -w 0 39); do ln -s "$photos/photo-$i.jpg" "$set40/"; done
cargo build --release --quiet -p gallery --bin gallery --example ingest_bench
"$CARGO_TARGET_DIR/release/examples/ingest_bench" "$set40" "$CARGO_TARGET_DIR/release/gallery" ${BENCH_BEFORE:-}
