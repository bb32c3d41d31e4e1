#!/usr/bin/env bash
# Builds and serves the gallery on the embedded default: SQLite and images under data/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
say "Building (release; the first build takes several minutes)"
cargo build --release --workspace
exec "$CARGO_TARGET_DIR/release/gallery" serve "$@"
