#!/usr/bin/env bash
# Voice commands recognised on the server: per command, from the WAV's bytes to the intent
# (p50/p95), with Whisper's encoder cut to the speech and with its whole 30 s window, with
# and without the commands as a prompt, and how many come out right, on one core and on
# two; the same on the held-out set (commands-fresh.tsv); then page p50/p99 while a burst
# of 20 voice commands is transcribed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
cargo build --release -p gallery --example speech_bench --quiet
cargo build --release -p gallery --example voice_burst --quiet
say "Tuned set (commands.tsv), one core"
taskset -c 0 "$CARGO_TARGET_DIR/release/examples/speech_bench" --threads 1
say "Tuned set, two cores"
"$CARGO_TARGET_DIR/release/examples/speech_bench" --threads 2
say "Held-out set (commands-fresh.tsv), one core"
taskset -c 0 "$CARGO_TARGET_DIR/release/examples/speech_bench" --threads 1 --fresh --misses
say "A burst of 20 voice commands while pages load"
"$CARGO_TARGET_DIR/release/examples/voice_burst" 2>/dev/null
