#!/usr/bin/env bash
# Installs what the gallery needs to build and run, skipping what is already there.
#   scripts/setup.sh          the embedded default: a Rust toolchain is all it takes today
#   scripts/setup.sh --test   also what the tests use: Chromium, playwright-core, schemathesis
set -euo pipefail
source "$(dirname "$0")/lib.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v cargo >/dev/null || { echo "cargo is missing: install Rust 1.95 (rustup) first" >&2; exit 1; }

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v curl >/dev/null || missing+=(curl)
  command -v node >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core
  fi
  if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
    say "Installing playwright-core (npm)"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -x "$CACHE/venv/bin/schemathesis" ]; then
    say "Installing schemathesis (pip, in .cache/venv)"
    python3 -m venv "$CACHE/venv"
    "$CACHE/venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/requirements.txt"
  fi
fi
