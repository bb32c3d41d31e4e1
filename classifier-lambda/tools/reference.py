"""The Python reference of the classifier pipeline: onnxruntime + Pillow, with the same
preprocessing as the Rust code, as a careful Python user would write it.

    python reference.py --model DIR [--top K] [--no-draft] [--bench] [--threads N] FILE...

Prints one JSON line per file: {"file", "labels": [{"label", "class_index", "score"}]}.
With --bench it prints only the photos per second over all files (decode included).
`draft` (the default) decodes JPEGs at a reduced DCT scale with `Image.draft()`.
`--threads N` gives the ONNX Runtime session N intra-op threads (its default: one per core),
as one of several processes sharing the cores would.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps


IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")


def photos_in(dirs):
    """Every photo under the folders given, in a stable order."""
    found = []
    for d in dirs:
        for root, _, files in sorted(os.walk(d)):
            found.extend(os.path.join(root, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXT))
    return found


def load(model_dir, threads=0):
    desc = json.load(open(os.path.join(model_dir, "model.json")))
    labels = json.load(open(os.path.join(model_dir, desc["labels"])))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(
        os.path.join(model_dir, desc["model"]), options, providers=["CPUExecutionProvider"]
    )
    return desc, labels, session


def resized_size(w, h, resize):
    if w <= h:
        return resize, max(1, (h * resize + w // 2) // w)
    return max(1, (w * resize + h // 2) // h), resize


def prepare(path, desc, draft=True):
    im = Image.open(path)
    if draft and im.format == "JPEG":
        im.draft("RGB", (desc["resize"], desc["resize"]))
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    im = im.convert("RGB")
    rw, rh = resized_size(im.width, im.height, desc["resize"])
    resample = Image.BICUBIC if desc["interpolation"] == "bicubic" else Image.BILINEAR
    im = im.resize((rw, rh), resample)
    crop = desc["crop"]
    left, top = (rw - crop) // 2, (rh - crop) // 2
    im = im.crop((left, top, left + crop, top + crop))
    x = np.asarray(im, dtype=np.float32) * (desc["scale"] / 255.0)
    x = (x - np.array(desc["mean"], dtype=np.float32)) / np.array(desc["std"], dtype=np.float32)
    return x.transpose(2, 0, 1) if desc["layout"] == "NCHW" else x


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def classify(path, desc, labels, session, top, draft):
    x = prepare(path, desc, draft)[None]
    out = session.run([desc["output"]], {desc["input"]: x})[0][0]
    p = softmax(out) if desc["output_kind"] == "logits" else out
    best = np.argsort(-p)[:top]
    return [{"label": labels[i]["name"], "class_index": int(i), "score": float(p[i])} for i in best]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--no-draft", action="store_true")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    desc, labels, session = load(args.model, args.threads)
    started = time.perf_counter()
    for path in args.files:
        try:
            line = {"file": path, "labels": classify(path, desc, labels, session, args.top, not args.no_draft)}
        except (OSError, ValueError) as err:
            line = {"file": path, "error": str(err)}
        if not args.bench:
            print(json.dumps(line), flush=True)
    if args.bench:
        secs = time.perf_counter() - started
        print(json.dumps({"photos": len(args.files), "seconds": secs, "photos_per_second": len(args.files) / secs}))


if __name__ == "__main__":
    main()
