"""Photo sets for the classifier rendition's fidelity figure, from Debian packages.

    python fidelity_photos.py OUT PACKAGE_DIR...

PACKAGE_DIR is a package unpacked with `dpkg-deb -x`. Every JPEG and PNG photo in it (the
shorter side at least 256 px, not mostly transparent) is copied into OUT/<package>/, and
every lossy WebP photo inside Qt resource bundles (`.rcc`, which GCompris ships its
activities' photographs in) is cut out into the same place. With `--camera`, each WebP is
also written as a 12 MP JPEG (4000 px on the long side, quality 90, 4:2:0, light grain)
into OUT/<package>-as-12mp-jpeg/, so that the upload's reduced-DCT path runs on real
scenes.
"""
import hashlib
import io
import os
import struct
import sys

import numpy as np
from PIL import Image

args = [a for a in sys.argv[1:] if not a.startswith("--")]
camera = "--camera" in sys.argv
out, packages = args[0], args[1:]
rng = np.random.default_rng(15)


def usable(im):
    if min(im.size) < 256:
        return False
    if im.mode in ("RGBA", "LA", "P"):
        alpha = np.asarray(im.convert("RGBA"))[..., 3]
        if (alpha < 250).mean() > 0.05:
            return False
    return True


for package in packages:
    name = os.path.basename(package.rstrip("/"))
    target = os.path.join(out, name)
    os.makedirs(target, exist_ok=True)
    seen = set()
    kept = 0
    for root, _, files in sorted(os.walk(package)):
        for f in sorted(files):
            path = os.path.join(root, f)
            data = open(path, "rb").read()
            chunks = []
            if f.lower().endswith((".jpg", ".jpeg", ".png")):
                chunks.append((os.path.splitext(f)[0], os.path.splitext(f)[1].lower(), data))
            elif f.endswith(".rcc"):
                at = 0
                while (at := data.find(b"RIFF", at)) >= 0:
                    if data[at + 8 : at + 12] == b"WEBP":
                        size = struct.unpack("<I", data[at + 4 : at + 8])[0] + 8
                        chunks.append((f"{f[:-4]}-{at}", ".webp", data[at : at + size]))
                    at += 4
            for stem, ext, chunk in chunks:
                digest = hashlib.sha256(chunk).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                try:
                    im = Image.open(io.BytesIO(chunk))
                    im.load()
                except Exception:
                    continue
                if not usable(im) or (ext == ".webp" and im.mode != "RGB"):
                    continue
                kept += 1
                open(os.path.join(target, f"{kept:03d}-{stem}{ext}"), "wb").write(chunk)
                if camera and ext == ".webp":
                    big_dir = target + "-as-12mp-jpeg"
                    os.makedirs(big_dir, exist_ok=True)
                    w, h = im.size
                    scale = 4000 / max(w, h)
                    big = im.convert("RGB").resize((round(w * scale), round(h * scale)), Image.BICUBIC)
                    grain = rng.normal(0, 3, (big.size[1], big.size[0], 3))
                    pixels = np.clip(np.asarray(big, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
                    Image.fromarray(pixels).save(
                        os.path.join(big_dir, f"{kept:03d}-{stem}.jpg"), quality=90, subsampling=2
                    )
    print(f"{kept:4d} photos from {name}")
