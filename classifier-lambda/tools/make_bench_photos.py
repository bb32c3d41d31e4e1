"""Make N photo-like JPEGs of about 12 megapixels (4000×3000) for the classifier benchmark:
the test photos upscaled, with grain so they compress like camera files.

    python make_bench_photos.py OUT_DIR [N]
"""
import os
import sys

import numpy as np
from PIL import Image

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
sources = [Image.open(os.path.join(here, f)).convert("RGB") for f in ("coffee.png", "chelsea.jpg", "rocket.jpg", "astronaut.jpg")]
rng = np.random.default_rng(12)
os.makedirs(out, exist_ok=True)
for i in range(n):
    big = sources[i % len(sources)].resize((4000, 3000), Image.BICUBIC)
    grain = rng.normal(0, 6, (3000, 4000, 3))
    pixels = np.clip(np.asarray(big, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(os.path.join(out, f"photo-{i:02d}.jpg"), quality=90)
print(f"{n} photos in {out}")
