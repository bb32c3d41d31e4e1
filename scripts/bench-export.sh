#!/usr/bin/env bash
# Export throughput: GET /api/v1/export of 40 photos of 12 MP (curl to /dev/null) against
# `cat` of the same originals to /dev/null, in one run, page cache warm for both.
# Arguments go to the example: [PHOTOS] [MEGAPIXELS].
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
command -v curl >/dev/null || { echo "curl is missing: scripts/setup.sh --test installs it" >&2; exit 1; }
cargo build --release --quiet -p gallery --example export_bench
"$CARGO_TARGET_DIR/release/examples/export_bench" "$@"
