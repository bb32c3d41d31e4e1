#!/usr/bin/env bash
# Precision and recall of search on the query sets of server/tests/search-queries/ (see
# its README), with WordNet alone and with the everyday-words step, in one run.
#   scripts/score-search.sh [--misses tune]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
cargo build --release -p gallery --example search_score --quiet
"$CARGO_TARGET_DIR/release/examples/search_score" "$@"
