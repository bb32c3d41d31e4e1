"""The photo set of Task 2: real-looking JPEGs of several sizes, from the classifier's test
photos (CC0 / public domain) resized, with camera-like grain so they compress like camera
files. More small photos than large ones, as people upload.

    python make_photos.py OUT_DIR
"""
import os
import sys

import numpy as np
from PIL import Image

# (width, height, how many): 0.3, 1.2, 3.1 and 12 megapixels.
SIZES = [(640, 480, 8), (1280, 960, 8), (2048, 1536, 5), (4000, 3000, 3)]

out = sys.argv[1]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "classifier-lambda", "testdata")
sources = [
    Image.open(os.path.join(here, f)).convert("RGB")
    for f in ("coffee.png", "chelsea.jpg", "rocket.jpg", "astronaut.jpg", "coffee-large.jpg")
]
rng = np.random.default_rng(13)
os.makedirs(out, exist_ok=True)
n = 0
for width, height, count in SIZES:
    for _ in range(count):
        photo = sources[n % len(sources)].resize((width, height), Image.BICUBIC)
        grain = rng.normal(0, 5, (height, width, 3))
        pixels = np.clip(np.asarray(photo, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(out, f"photo-{n:02d}-{width}x{height}.jpg"), quality=90)
        n += 1
print(f"{n} photos in {out}")
