#!/usr/bin/env bash
# Prints upload throughput for 1 MP JPEGs and the gallery page's p50/p99 with 500 photos.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
cargo run --release --example bench "$@"
