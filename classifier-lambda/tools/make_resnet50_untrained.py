"""Build a ResNet50 graph (torchvision / ONNX-zoo v1 layout, opset 13) with random,
untrained weights, straight from `onnx.helper` and numpy — no torch needed.

Same shapes and the same cost as the real ResNet50, so it exercises the ResNet50 path of
the classifier (description, preprocessing, speed); its labels mean nothing. Batch-norms
are folded into the convolutions, as an exported, optimised model has them.

    python make_resnet50_untrained.py OUT_DIR
"""
import hashlib
import json
import os
import shutil
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

rng = np.random.default_rng(50)
nodes, inits = [], []


def conv(x, cin, cout, k, stride, name, relu=True):
    w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
    b = np.zeros(cout, dtype=np.float32)
    inits.extend([numpy_helper.from_array(w, f"{name}_w"), numpy_helper.from_array(b, f"{name}_b")])
    nodes.append(helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [f"{name}_y"],
                                  kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4))
    if not relu:
        return f"{name}_y"
    nodes.append(helper.make_node("Relu", [f"{name}_y"], [f"{name}_r"]))
    return f"{name}_r"


def bottleneck(x, cin, width, stride, name):
    y = conv(x, cin, width, 1, 1, f"{name}_a")
    y = conv(y, width, width, 3, stride, f"{name}_b")
    y = conv(y, width, width * 4, 1, 1, f"{name}_c", relu=False)
    shortcut = x if (stride == 1 and cin == width * 4) else conv(x, cin, width * 4, 1, stride, f"{name}_down", relu=False)
    nodes.append(helper.make_node("Add", [y, shortcut], [f"{name}_sum"]))
    nodes.append(helper.make_node("Relu", [f"{name}_sum"], [f"{name}_out"]))
    return f"{name}_out"


x = conv("data", 3, 64, 7, 2, "stem")
nodes.append(helper.make_node("MaxPool", [x], ["pool"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
x, cin = "pool", 64
for stage, (blocks, width) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)]):
    for i in range(blocks):
        x = bottleneck(x, cin, width, 2 if (i == 0 and stage > 0) else 1, f"s{stage}b{i}")
        cin = width * 4
nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
fc_w = (rng.standard_normal((1000, 2048)) * 0.01).astype(np.float32)
inits.extend([numpy_helper.from_array(fc_w, "fc_w"), numpy_helper.from_array(np.zeros(1000, np.float32), "fc_b")])
nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["resnetv17_dense0_fwd"], transB=1))

graph = helper.make_graph(
    nodes, "resnet50-untrained",
    [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", 3, 224, 224])],
    [helper.make_tensor_value_info("resnetv17_dense0_fwd", TensorProto.FLOAT, ["N", 1000])],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
path = os.path.join(out, "model.onnx")
save(model, path)
here = os.path.dirname(os.path.abspath(__file__))
zoo = os.path.join(here, "..", "models", "resnet50-v1-12")
desc = json.load(open(os.path.join(zoo, "model.json")))
desc.update(name="resnet50-untrained", model="model.onnx",
            sha256=hashlib.sha256(open(path, "rb").read()).hexdigest(),
            origin="random weights from classifier-lambda/tools/make_resnet50_untrained.py: for speed and pipeline tests only")
json.dump(desc, open(os.path.join(out, "model.json"), "w"), indent=2)
shutil.copy(os.path.join(zoo, "labels.json"), os.path.join(out, "labels.json"))
print(f"wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB)")
