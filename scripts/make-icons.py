#!/usr/bin/env python3
"""Draws the app's PNG icons (web app manifest, home screens) from the shapes of
static/favicon.svg: a blue tile, a white mountain and a yellow sun. Run with Pillow:
  .cache/venv/bin/python scripts/make-icons.py
The maskable icon fills its square and keeps the drawing inside the middle 70 % (the safe
zone a launcher may crop to)."""
from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "static"
BLUE, WHITE, SUN = (36, 86, 211, 255), (255, 255, 255, 255), (255, 191, 71, 255)
MOUNTAIN = [(5, 24), (12, 15), (17, 21), (21, 17), (27, 24)]


def draw(size: int, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    if maskable:
        d.rectangle([0, 0, big, big], fill=BLUE)
        unit, offset = big * 0.70 / 32, big * 0.15
    else:
        d.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 6 / 32, fill=BLUE)
        unit, offset = big / 32, 0.0
    point = lambda x, y: (offset + x * unit, offset + y * unit)  # noqa: E731
    d.polygon([point(x, y) for x, y in MOUNTAIN], fill=WHITE)
    cx, cy = point(22, 10)
    r = 3 * unit
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=SUN)
    return image.resize((size, size), Image.LANCZOS)


for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False),
                             ("icon-maskable-512.png", 512, True)]:
    draw(size, maskable).save(STATIC / name, optimize=True)
    print(name, (STATIC / name).stat().st_size, "bytes")
