"""How closely an int8 model answers as its fp32 model does, and how fast each one is.

    python int8_agreement.py [--runs N] [--no-timing] FP32_DIR INT8_DIR PHOTO_DIR...

Each model folder's photos are preprocessed as its own model.json says (reference.py), so
two different models can be compared too (e.g. EfficientNet-Lite0 against -Lite2). Prints
the number of photos, the top-1 agreement, the mean overlap of the top-3 sets
(|top3_a ∩ top3_b| / 3), the share of identical top-3 sets, the top-1 agreement on the
photos the first model is sure of (top-1 probability >= 0.5), and the ms per photo of each
model (onnxruntime CPU, batch 1, one and two intra-op threads, after a warm-up, median
over N runs on a real photo).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402



def session(model_dir, threads):
    desc = json.load(open(os.path.join(model_dir, "model.json")))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    s = ort.InferenceSession(os.path.join(model_dir, desc["model"]), options, providers=["CPUExecutionProvider"])
    return desc, s


def logits(model_dir, photos):
    desc, s = session(model_dir, 0)
    out = []
    for p in photos:
        x = reference.prepare(p, desc)[None].astype(np.float32)
        out.append(s.run([desc["output"]], {desc["input"]: x})[0][0])
    return desc, np.stack(out)


def ms_per_photo(model_dir, threads, photo, runs):
    desc, s = session(model_dir, threads)
    feed = {desc["input"]: reference.prepare(photo, desc)[None].astype(np.float32)}
    for _ in range(10):
        s.run(None, feed)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        s.run(None, feed)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("photo_dirs", nargs="+")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    photos = reference.photos_in(args.photo_dirs)
    desc_a, la = logits(args.a, photos)
    desc_b, lb = logits(args.b, photos)
    top_a, top_b = np.argsort(-la, axis=1)[:, :3], np.argsort(-lb, axis=1)[:, :3]
    top1 = float(np.mean(top_a[:, 0] == top_b[:, 0]))
    overlap = float(np.mean([len(set(x) & set(y)) / 3 for x, y in zip(top_a, top_b)]))
    same3 = float(np.mean([set(x) == set(y) for x, y in zip(top_a, top_b)]))
    print(f"{desc_a['name']} against {desc_b['name']} on {len(photos)} photos "
          f"({', '.join(os.path.basename(os.path.normpath(d)) for d in args.photo_dirs)})")
    print(f"  top-1 agreement:      {100 * top1:6.2f} % ({int(round(top1 * len(photos)))}/{len(photos)})")
    print(f"  mean top-3 overlap:   {100 * overlap:6.2f} %")
    print(f"  identical top-3 sets: {100 * same3:6.2f} %")
    # Where the first model is sure of itself (softmax top-1 >= 0.5), answers should not move.
    pa = np.exp(la - la.max(axis=1, keepdims=True))
    clear = (pa / pa.sum(axis=1, keepdims=True)).max(axis=1) >= 0.5
    if clear.any():
        print(f"  top-1 agreement where {desc_a['name']} gives its top-1 >= 0.5: "
              f"{100 * np.mean(top_a[clear, 0] == top_b[clear, 0]):6.2f} % of {int(clear.sum())} photos")
    if args.no_timing:
        return
    # The timing photo: the first of the set (a real photo, preprocessed per model).
    rows = []
    for model_dir, desc in ((args.a, desc_a), (args.b, desc_b)):
        t1 = ms_per_photo(model_dir, 1, photos[0], args.runs)
        t2 = ms_per_photo(model_dir, 2, photos[0], args.runs)
        rows.append((desc["name"], t1, t2))
        print(f"  {desc['name']:28s} {t1:7.2f} ms/photo on 1 thread, {t2:7.2f} ms on 2 threads "
              f"(batch 1, median of {args.runs})")
    print(f"  speed-up of {rows[1][0]} over {rows[0][0]}: {rows[0][1] / rows[1][1]:.2f}x on 1 thread, "
          f"{rows[0][2] / rows[1][2]:.2f}x on 2 threads")


if __name__ == "__main__":
    main()
