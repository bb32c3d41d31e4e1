#!/usr/bin/env bash
# Latency of interpreting one utterance with the committed intent model, on one core.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
cargo build --release -p intent --examples --quiet
taskset -c 0 "$CARGO_TARGET_DIR/release/examples/latency"
