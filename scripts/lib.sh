# Shared by the scripts: where things go, and starting a gallery binary on a free port.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# ONNX Runtime's official builds send usage telemetry unless this is set when they start:
# the gallery's programs set it themselves (onnx-runtime/src/lib.rs); this covers the tests
# and the Python tools the scripts run.
export ORT_DISABLE_TELEMETRY=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# free_port: a loopback port nobody listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# install_cargo_lambda: cargo-lambda (PyPI), pinned, in .cache/venv (which must exist): the
# Lambda emulator of the tests, and the builder of deploy/lambda.sh.
CARGO_LAMBDA_VERSION=1.9.2
install_cargo_lambda() {
  if ! "$CACHE/venv/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q "$CARGO_LAMBDA_VERSION"; then
    say "Installing cargo-lambda $CARGO_LAMBDA_VERSION (pip, in .cache/venv)"
    "$CACHE/venv/bin/pip" install -q --disable-pip-version-check --no-deps "cargo-lambda==$CARGO_LAMBDA_VERSION"
  fi
}

# copy_model DIR DEST: a classifier model folder's files (model.json, the labels and the
# ONNX file it names) into DEST/NAME, NAME being the folder's.
copy_model() {
  local dir="$1" dest
  dest="$2/$(basename "$1")"
  mkdir -p "$dest"
  python3 - "$dir" "$dest" <<'EOF'
import json, shutil, sys
from pathlib import Path
src, dest = Path(sys.argv[1]), Path(sys.argv[2])
description = json.loads((src / "model.json").read_text())
for name in ("model.json", description["labels"], description["model"]):
    if not (src / name).is_file():
        sys.exit(f"{src / name} is missing (model.json names it)")
    shutil.copyfile(src / name, dest / name)
EOF
}

# fetch_onnxruntime ARCH DIR: ONNX Runtime (the library the `ort` crate opens) for x86_64 or
# aarch64, taken from the PyPI onnxruntime wheel of that architecture into DIR, once.
ORT_VERSION=1.32.0
fetch_onnxruntime() {
  local arch="$1" dir="$2" sha tmp wheel
  case "$arch" in
    x86_64) sha=99e1074c4b2197accd5073052a465361be17b89c093b8ffb6e6bd8f986c52df8 ;;
    aarch64) sha=e36c187006e7a7c8b8d6d57f1a209dd63f52430dca6c282b177718ad6b841054 ;;
    *) echo "fetch_onnxruntime: no wheel for $arch" >&2; return 1 ;;
  esac
  [ -f "$dir/libonnxruntime.so.$ORT_VERSION" ] && return 0
  say "Fetching ONNX Runtime $ORT_VERSION for $arch (PyPI onnxruntime wheel)"
  tmp=$(mktemp -d)
  python3 -m pip download -q --disable-pip-version-check "onnxruntime==$ORT_VERSION" --no-deps --only-binary=:all: \
    --python-version 3.12 --platform "manylinux_2_28_$arch" -d "$tmp"
  wheel=$(ls "$tmp"/onnxruntime-*.whl)
  echo "$sha  $wheel" | sha256sum -c --quiet
  mkdir -p "$dir"
  python3 -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
    "$wheel" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$dir/libonnxruntime.so.$ORT_VERSION"
  rm -rf "$tmp"
}

# start_gallery DIR: runs the debug binary with a fresh database in DIR; sets GALLERY_URL, GALLERY_PID.
start_gallery() {
  local dir="$1"
  mkdir -p "$dir"
  GALLERY_BIND=127.0.0.1:0 GALLERY_DATABASE_URL="sqlite://$dir/gallery.db" GALLERY_STORAGE="fs:$dir/objects" \
    "$CARGO_TARGET_DIR/debug/gallery" serve >"$dir/stdout" 2>"$dir/stderr" &
  GALLERY_PID=$!
  for _ in $(seq 1 100); do
    GALLERY_URL=$(sed -n 's/.*running at \(http:[^ ]*\).*/\1/p' "$dir/stdout")
    [ -n "$GALLERY_URL" ] && return 0
    sleep 0.1
  done
  echo "the gallery did not start:" >&2; cat "$dir/stderr" >&2
  return 1
}
