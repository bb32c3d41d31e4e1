"""Quantize an ImageNet model folder to int8: ONNX Runtime static quantization, QDQ format,
calibrated on real photos preprocessed exactly as the folder's model.json says (the
preprocessing of reference.py).

    python quantize_int8.py [options] MODEL_DIR OUT_DIR CALIBRATION_PHOTO_DIR...

Writes OUT_DIR/model.onnx (int8 QDQ), labels.json (copied) and model.json (MODEL_DIR's,
with the name "<name>-int8", "model": "model.onnx", the new SHA-256, the licence kept, and
an "origin" that says how it was made: this script, its options, and the calibration
photos by package and how many). Each CALIBRATION_PHOTO_DIR is named after the package
its photos come from (see int8_photos.py).

Steps: onnxruntime.quantization's quant_pre_process (shape inference, constant folding,
BatchNorm/Pad folding); bias correction (each Conv/Gemm bias absorbs the mean error that
rounding its weights to int8 makes, over the calibration photos: b -= (W_int8 - W) E[x],
with W_int8 exactly as ONNX Runtime rounds it); quantize_static. The defaults are the
options chosen for EfficientNet-Lite with int8_agreement.py: QUInt8 activations, QInt8
symmetric per-channel weights, percentile 99.995 calibration, bias correction, the first
Conv and the last Gemm left in float32 (they cost nothing measurable in time here, and
make the answers closer to fp32; --no-keep-first-conv --no-keep-last quantize them too).

Only the first Conv and the last Gemm can usefully stay in float32: ONNX Runtime
re-quantizes a float Conv that sits between DQ and Q nodes when it loads the model (its
WeightBiasQuantization optimizer, per tensor), which is worse than quantizing it here.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.quant_utils import quantize_data
from onnxruntime.quantization.shape_inference import quant_pre_process

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
           "percentile": CalibrationMethod.Percentile}
TYPES = {"quint8": QuantType.QUInt8, "qint8": QuantType.QInt8}
ONNX_TYPES = {"quint8": onnx.TensorProto.UINT8, "qint8": onnx.TensorProto.INT8}


class Inputs(CalibrationDataReader):
    def __init__(self, name, arrays):
        self.name, self.arrays, self.at = name, arrays, 0

    def get_next(self):
        if self.at == len(self.arrays):
            return None
        self.at += 1
        return {self.name: self.arrays[self.at - 1]}

    def rewind(self):
        self.at = 0


def layers_with_weights(model):
    init = {i.name for i in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type in ("Conv", "Gemm") and len(n.input) > 1 and n.input[1] in init]


def input_means(path, input_name, arrays):
    """Mean of each Conv/Gemm input over the photos, per channel."""
    model = onnx.load(path)
    tensors = sorted({n.input[0] for n in layers_with_weights(model)})
    outputs = {o.name for o in model.graph.output}
    for t in tensors:
        if t not in outputs:
            model.graph.output.append(helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    sums = {t: 0.0 for t in tensors}
    for x in arrays:
        for t, v in zip(tensors, session.run(tensors, {input_name: x})):
            sums[t] = sums[t] + (v.mean(axis=(0, 2, 3)) if v.ndim == 4 else v.mean(axis=0)).astype(np.float64)
    return {t: s / len(arrays) for t, s in sums.items()}


def correct_biases(path, out_path, means, weight_type, symmetric, per_channel, reduce_range, skip):
    """b -= (dequantized int8 W - W) . E[x] for every Conv/Gemm with a bias (see the module doc)."""
    model = onnx.load(path)
    init = {i.name: i for i in model.graph.initializer}
    corrected = 0
    for n in layers_with_weights(model):
        if n.name in skip or len(n.input) < 3 or n.input[2] not in init:
            continue
        w = numpy_helper.to_array(init[n.input[1]])
        trans_b = any(a.name == "transB" and a.i for a in n.attribute)
        wc = w.T if (n.op_type == "Gemm" and not trans_b) else w  # output channels first
        channels = wc.reshape(wc.shape[0], -1) if per_channel else wc.reshape(1, -1)
        rounded = np.empty(channels.shape, dtype=np.float64)
        for c, row in enumerate(channels):
            zero_point, scale, q = quantize_data(row, weight_type, symmetric, reduce_range)
            rounded[c] = (q.astype(np.float64) - float(zero_point)) * float(scale)
        error = (rounded - channels.astype(np.float64)).reshape(wc.shape)
        mean = means[n.input[0]]
        if n.op_type == "Conv":
            group = next((a.i for a in n.attribute if a.name == "group"), 1)
            out_ch, in_per_group = error.shape[:2]
            error = error.reshape(group, out_ch // group, in_per_group, -1).sum(axis=3)
            shift = np.einsum("gpi,gi->gp", error, mean.reshape(group, in_per_group)).reshape(out_ch)
        else:
            shift = error @ mean
        b = numpy_helper.to_array(init[n.input[2]]).astype(np.float64)
        init[n.input[2]].CopyFrom(numpy_helper.from_array((b - shift).astype(np.float32), n.input[2]))
        corrected += 1
    onnx.save(model, out_path)
    return corrected


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("out_dir")
    ap.add_argument("photo_dirs", nargs="+")
    ap.add_argument("--activations", choices=TYPES, default="quint8")
    ap.add_argument("--weights", choices=TYPES, default="qint8")
    ap.add_argument("--method", choices=METHODS, default="percentile")
    ap.add_argument("--percentile", type=float, default=99.995)
    ap.add_argument("--per-tensor", action="store_true", help="one scale per weight tensor (default: per channel)")
    ap.add_argument("--reduce-range", action="store_true")
    ap.add_argument("--activation-symmetric", action="store_true")
    ap.add_argument("--weight-asymmetric", action="store_true")
    ap.add_argument("--no-bias-correction", action="store_true")
    ap.add_argument("--keep-first-conv", action=argparse.BooleanOptionalAction, default=True,
                    help="leave the first Conv in float32 (default: yes)")
    ap.add_argument("--keep-last", action=argparse.BooleanOptionalAction, default=True,
                    help="leave the last Gemm/MatMul in float32 (default: yes)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N photos (0: all)")
    args = ap.parse_args()

    desc = json.load(open(os.path.join(args.model_dir, "model.json")))
    photos = reference.photos_in(args.photo_dirs)
    if args.limit:
        photos = photos[: args.limit]
    if not photos:
        sys.exit("no calibration photos")
    arrays = [reference.prepare(p, desc)[None].astype(np.float32) for p in photos]
    os.makedirs(args.out_dir, exist_ok=True)
    out_model = os.path.join(args.out_dir, "model.onnx")
    per_channel = not args.per_tensor
    symmetric_weights = not args.weight_asymmetric

    with tempfile.TemporaryDirectory() as tmp:
        prepared = os.path.join(tmp, "prepared.onnx")
        quant_pre_process(os.path.join(args.model_dir, desc["model"]), prepared)
        model = onnx.load(prepared)
        # Nodes are excluded (and reported) by name: give the unnamed ones a name.
        for i, n in enumerate(model.graph.node):
            if not n.name:
                n.name = f"{n.op_type}_{i}"
        onnx.save(model, prepared)
        graph = model.graph
        exclude, kept_float = [], []
        convs = [n for n in graph.node if n.op_type == "Conv"]
        heads = [n for n in graph.node if n.op_type in ("Gemm", "MatMul")]
        if args.keep_first_conv and convs:
            exclude.append(convs[0].name)
            kept_float.append("first Conv")
        if args.keep_last and heads:
            exclude.append(heads[-1].name)
            kept_float.append(f"last {heads[-1].op_type}")
        source = prepared
        if not args.no_bias_correction:
            source = os.path.join(tmp, "corrected.onnx")
            means = input_means(prepared, desc["input"], arrays)
            n = correct_biases(prepared, source, means, ONNX_TYPES[args.weights], symmetric_weights, per_channel,
                               args.reduce_range, set(exclude))
            print(f"bias correction: {n} layers")
        extra = {"ActivationSymmetric": args.activation_symmetric, "WeightSymmetric": symmetric_weights}
        if args.method == "percentile":
            extra["CalibPercentile"] = args.percentile
        quantize_static(
            source, out_model, Inputs(desc["input"], arrays),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            reduce_range=args.reduce_range,
            activation_type=TYPES[args.activations],
            weight_type=TYPES[args.weights],
            calibrate_method=METHODS[args.method],
            nodes_to_exclude=exclude,
            extra_options=extra,
        )

    shutil.copy(os.path.join(args.model_dir, desc["labels"]), os.path.join(args.out_dir, desc["labels"]))
    by_package = {os.path.basename(os.path.normpath(d)): len(reference.photos_in([d])) for d in args.photo_dirs}
    if args.limit:
        by_package = {"the first of them": len(photos)}
    method = args.method + (f" {args.percentile}" if args.method == "percentile" else "")
    options = [
        "QDQ", f"activations {TYPES[args.activations].name}", f"weights {TYPES[args.weights].name}",
        "per-channel" if per_channel else "per-tensor", f"calibration {method}",
        "symmetric activations" if args.activation_symmetric else "asymmetric activations",
        "symmetric weights" if symmetric_weights else "asymmetric weights",
    ]
    if args.reduce_range:
        options.append("reduce_range")
    if not args.no_bias_correction:
        options.append("bias correction")
    if kept_float:
        options.append(" and ".join(kept_float) + " kept in float32")
    new = dict(desc)
    new.update(
        name=f"{desc['name']}-int8",
        model="model.onnx",
        sha256=hashlib.sha256(open(out_model, "rb").read()).hexdigest(),
        origin=(
            f"{desc['name']} (model sha256 {desc.get('sha256', '?')}) quantized to int8 by "
            "classifier-lambda/tools/quantize_int8.py with onnxruntime "
            f"{ort.__version__} (quant_pre_process, then quantize_static: {', '.join(options)}), "
            f"calibrated on {len(photos)} photos from Debian packages ("
            + ", ".join(f"{p} {n}" for p, n in by_package.items())
            + ") preprocessed as model.json says. The float model: " + desc.get("origin", "?")
        ),
        licence=desc.get("licence", ""),
    )
    with open(os.path.join(args.out_dir, "model.json"), "w") as f:
        json.dump(new, f, indent=2)
        f.write("\n")
    print(f"wrote {out_model} ({os.path.getsize(out_model) / 1e6:.1f} MB) from {len(photos)} calibration photos: "
          f"{', '.join(options)}")


if __name__ == "__main__":
    main()
