#!/usr/bin/env bash
# The int8 figures: for each model folder that scripts/make-models.sh builds, the int8
# model against its fp32 model on the held-out photos (none used for calibration): top-1
# agreement, mean top-3 overlap, identical top-3 sets; and ms per photo of both in Python
# onnxruntime (batch 1, one and two threads, median of 100 runs after a warm-up). The
# untrained ResNet50's answers mean nothing: only its speed counts. Last, a check of the
# Lite1/Lite2 preprocessing: fp32 Lite0 against fp32 Lite1 and Lite2 on the same photos.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
py="${MODEL_VENV:-/var/tmp/model-venv}/bin/python"
models="$CACHE/models"
heldout=("$CACHE"/int8-photos/heldout/*)
for m in "$models"/{efficientnet-lite1,efficientnet-lite2,resnet50-untrained}{,-int8} "$models/efficientnet-lite0-int8"; do
  [ -f "$m/model.json" ] || { echo "$m is missing: run scripts/make-models.sh" >&2; exit 1; }
done
[ -d "${heldout[0]}" ] || { echo "no held-out photos: run scripts/make-models.sh" >&2; exit 1; }
agree() { "$py" classifier-lambda/tools/int8_agreement.py "$@"; }

say "int8 against fp32 (held-out photos)"
agree classifier-lambda/models/efficientnet-lite0 "$models/efficientnet-lite0-int8" "${heldout[@]}"
for m in efficientnet-lite1 efficientnet-lite2 resnet50-untrained; do
  agree "$models/$m" "$models/$m-int8" "${heldout[@]}"
done
say "fp32 Lite0 against fp32 Lite1 and Lite2 (preprocessing check)"
agree --no-timing classifier-lambda/models/efficientnet-lite0 "$models/efficientnet-lite1" "${heldout[@]}"
agree --no-timing classifier-lambda/models/efficientnet-lite0 "$models/efficientnet-lite2" "${heldout[@]}"
