"""The photo sets of the int8 models: a calibration set and a held-out agreement set, from
Debian packages (fetched with `apt-get download`, unpacked with `dpkg-deb -x`; nothing is
installed). scripts/make-models.sh runs it.

    python int8_photos.py OUT UNPACKED
    python int8_photos.py --packages      # the Debian packages it reads, one a line

UNPACKED/<package>/ holds each package of CALIBRATION and HELDOUT unpacked. Writes
OUT/calibration/<package>/ and OUT/heldout/<package>/ (the files as shipped, renamed
NNN-<stem><ext>) and OUT/manifest.tsv (set, package, file, sha256, path in the package).

A photo is kept when its shorter side is at least 160 px and it is opaque (tuxpaint's
cut-out stamps excepted: reference.py lays them on white). Duplicates go, by SHA-256 and
by a 64-bit difference hash (which also catches the same picture at another size): a
held-out photo never repeats a calibration photo, nor another held-out photo.
"""
import hashlib
import io
import os
import re
import shutil
import struct
import sys

import numpy as np
from PIL import Image

IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")

# package: how its photos are picked (see candidates()).
CALIBRATION = {
    "mate-backgrounds": "all",
    "gnome-backgrounds": "all",
    "ukui-wallpapers": "all",
    "plasma-workspace-wallpapers": "largest-per-folder",
    "tuxpaint-stamps-default": "stamps",
}
HELDOUT = {
    "gcompris-qt-data": "rcc",
    "lomiri-wallpapers-16.04": "all",
    "lomiri-wallpapers-20.04": "all",
    "palapeli-data": "palapeli",
    "puzzle-jigsaw": "puzzle-jigsaw",
}
# GCompris bundles of paintings rather than photographs.
GCOMPRIS_SKIP = {"paintings", "details"}
MIN_SIDE = 160


def files_under(root):
    for d, _, names in sorted(os.walk(root)):
        for n in sorted(names):
            yield os.path.join(d, n)


def candidates(package_dir, rule):
    """Yields (stem, ext, bytes, path in the package)."""
    rel = lambda p: os.path.relpath(p, package_dir)
    if rule == "rcc":
        # Lossy WebP photographs inside Qt resource bundles, stored uncompressed.
        for path in files_under(package_dir):
            bundle = os.path.basename(path)[:-4]
            if not path.endswith(".rcc") or bundle in GCOMPRIS_SKIP:
                continue
            data = open(path, "rb").read()
            at = 0
            while (at := data.find(b"RIFF", at)) >= 0:
                if data[at + 8 : at + 12] == b"WEBP":
                    size = struct.unpack("<I", data[at + 4 : at + 8])[0] + 8
                    yield f"{bundle}-{at}", ".webp", data[at : at + size], f"{rel(path)}@{at}"
                at += 4
        return
    paths = [p for p in files_under(package_dir) if p.lower().endswith(IMAGE_EXT) and "/icons/" not in p]
    if rule == "largest-per-folder":
        # Plasma ships each wallpaper at many sizes: keep the largest of each folder.
        best = {}
        for p in paths:
            m = re.search(r"(\d+)x(\d+)\.\w+$", p)
            area = int(m.group(1)) * int(m.group(2)) if m else 0
            d = os.path.dirname(p)
            if d not in best or area > best[d][0]:
                best[d] = (area, p)
        paths = sorted(p for _, p in best.values())
    elif rule == "palapeli":
        paths = [p for p in paths if "/palapeli/collection/" in p]
    elif rule == "puzzle-jigsaw":
        paths = [p for p in paths if "/samples/" in p]
    elif rule == "stamps":
        paths = [p for p in paths if p.endswith(".png") and "/stamps/" in p]
    for p in paths:
        stem, ext = os.path.splitext(os.path.basename(p))
        yield stem, ext.lower(), open(p, "rb").read(), rel(p)


def usable(im, rule):
    if min(im.size) < MIN_SIDE:
        return False
    rgba = np.asarray(im.convert("RGBA"))
    opaque = rgba[..., 3] >= 250
    if rule == "stamps":
        # Cut-out photographs, not drawings: most of the box filled, thousands of colours.
        colours = rgba[..., :3][opaque].astype(np.int64) @ np.array([65536, 256, 1])
        return opaque.mean() > 0.3 and len(np.unique(colours)) > 3000
    return (~opaque).mean() <= 0.05


def dhash(im):
    g = np.asarray(im.convert("L").resize((9, 8), Image.BILINEAR), dtype=np.int16)
    bits = (g[:, 1:] > g[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def main():
    if sys.argv[1:] == ["--packages"]:
        print("\n".join([*CALIBRATION, *HELDOUT]))
        return
    out, unpacked = sys.argv[1], sys.argv[2]
    seen_sha, seen_hash = set(), []
    rows = []
    for set_name, packages in (("calibration", CALIBRATION), ("heldout", HELDOUT)):
        for package, rule in packages.items():
            target = os.path.join(out, set_name, package)
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target)
            kept = dropped = 0
            for stem, ext, data, where in candidates(os.path.join(unpacked, package), rule):
                digest = hashlib.sha256(data).hexdigest()
                if digest in seen_sha:
                    continue
                seen_sha.add(digest)
                try:
                    im = Image.open(io.BytesIO(data))
                    im.load()
                except Exception:
                    continue
                if not usable(im, rule):
                    continue
                h = dhash(im)
                if any(bin(h ^ o).count("1") <= 4 for o in seen_hash):
                    dropped += 1
                    continue
                seen_hash.append(h)
                kept += 1
                name = f"{kept:03d}-{stem}{ext}"
                open(os.path.join(target, name), "wb").write(data)
                rows.append((set_name, package, name, digest, where))
            print(f"{set_name:11s} {package:28s} {kept:4d} photos ({dropped} near-duplicates dropped)")
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("set\tpackage\tfile\tsha256\tfrom\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    for s in ("calibration", "heldout"):
        print(f"{s}: {sum(r[0] == s for r in rows)} photos")


if __name__ == "__main__":
    main()
