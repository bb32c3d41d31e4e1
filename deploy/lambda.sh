#!/usr/bin/env bash
# The classifier's Lambda package: `cargo lambda build --release` (zig as the linker, for
# the glibc of provided.al2023) for x86_64, arm64 or both, zipped with ONNX Runtime of that
# architecture (from its PyPI onnxruntime wheel) and the shipped model folder, then checked
# by deploy/check-lambda.py.
#
#   deploy/lambda.sh [--model DIR] [x86_64|arm64|all]     (default: all)
#
# --model adds another model folder (model.json, its labels and ONNX file) under
# models/NAME, for the template's ClassifierModel (deploy/README.md: switching to ResNet50).
#
# Makes .cache/lambda/classify-lambda-ARCH.zip (upload it to S3 and name it in the template's
# LambdaCodeKey) and the same files unpacked in .cache/lambda/ARCH/, which the end-to-end
# test (server/tests/lambda.rs) runs under `cargo lambda watch`.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

ZIGLANG_VERSION=0.14.1
VENV="$CACHE/venv"
OUT="$CACHE/lambda"

extra_model=""
if [ "${1:-}" = "--model" ]; then
  [ -f "${2:-}/model.json" ] || { echo "--model needs a model folder (with model.json)" >&2; exit 2; }
  extra_model="$(cd "$2" && pwd)"
  shift 2
fi

case "${1:-all}" in
  x86_64) arches=(x86_64) ;;
  arm64) arches=(arm64) ;;
  all) arches=(x86_64 arm64) ;;
  *) echo "usage: $0 [--model DIR] [x86_64|arm64|all]" >&2; exit 2 ;;
esac
cd "$ROOT"

# The tools, each pinned: cargo-lambda and zig (both from PyPI, in the test venv) and the
# Rust standard library of each target.
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
install_cargo_lambda
if [ "$("$VENV/bin/python" -m ziglang version 2>/dev/null)" != "$ZIGLANG_VERSION" ]; then
  say "Installing zig $ZIGLANG_VERSION (pip ziglang, in .cache/venv)"
  "$VENV/bin/pip" install -q --disable-pip-version-check "ziglang==$ZIGLANG_VERSION"
fi
# cargo-lambda finds zig as `python3 -m ziglang`: the venv's python comes first.
export PATH="$VENV/bin:$PATH"
# The workspace's release profile, not cargo-lambda's (panic=abort, one codegen unit, thin
# LTO, target-cpu=haswell): a panic in a decoder must fail that one photo, not end the
# function, and the time goes to ONNX Runtime and libjpeg-turbo anyway. Without symbols:
# the release profile's line tables are for the server's backtraces.
export CARGO_PROFILE_RELEASE_STRIP=symbols

for arch in "${arches[@]}"; do
  case "$arch" in
    x86_64) target=x86_64-unknown-linux-gnu wheel_arch=x86_64 ;;
    arm64) target=aarch64-unknown-linux-gnu wheel_arch=aarch64 ;;
  esac
  if ! rustup target list --installed | grep -qx "$target"; then
    say "Adding the Rust target $target (rustup)"
    rustup target add "$target"
  fi
  if [ "$arch" = x86_64 ]; then ort_dir="$CACHE/onnxruntime"; else ort_dir="$CACHE/onnxruntime-$wheel_arch"; fi
  fetch_onnxruntime "$wheel_arch" "$ort_dir"

  say "Building the Lambda function for $arch (cargo lambda build --release)"
  cargo-lambda lambda build --release --disable-optimizations --quiet --target "$target" -p classifier-lambda --bin classify-lambda \
    --lambda-dir "$OUT/build-$arch"

  say "Packaging $OUT/classify-lambda-$arch.zip"
  rm -rf "$OUT/$arch"
  mkdir -p "$OUT/$arch/models"
  cp "$OUT/build-$arch/classify-lambda/bootstrap" "$OUT/$arch/bootstrap"
  cp "$ort_dir/libonnxruntime.so.$ORT_VERSION" "$OUT/$arch/"
  cp -r classifier-lambda/models/efficientnet-lite0 "$OUT/$arch/models/"
  [ -z "$extra_model" ] || copy_model "$extra_model" "$OUT/$arch/models"
  # Fixed order, times and modes: the same files make the same zip (and the same hash).
  python3 - "$OUT/$arch" "$OUT/classify-lambda-$arch.zip" <<'EOF'
import sys, zipfile
from pathlib import Path
root, out = Path(sys.argv[1]), Path(sys.argv[2])
tmp = out.with_suffix(".zip.part")
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o100755 if name == "bootstrap" else 0o100644) << 16
        z.writestr(info, path.read_bytes(), compresslevel=9)
tmp.replace(out)
EOF
  say "Checking the $arch package"
  python3 "$ROOT/deploy/check-lambda.py" "$OUT/classify-lambda-$arch.zip" "$arch"
done
