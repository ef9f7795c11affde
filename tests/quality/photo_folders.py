"""Writes a few-shot photo task from scikit-image's photos as class folders of PNGs.

usage: photo_folders.py FIXTURES OUT SHOTS...
Each photo is a class. Training views come from the left half of the photo and test views from
the right half, so no test view overlaps a training one: OUT/test/<photo>/ gets 30 views per
class, OUT/train-<k>/<photo>/ k views. A view is a random square crop (a quarter to a half of the
half's height), in greyscale, with random brightness and contrast and sensor noise, at 96×96,
as a cheap camera would see a part of the object. Needs Pillow and numpy (the tests' .venv).
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

PHOTOS = ["astronaut.png", "brick.png", "chelsea.png", "coffee.png", "grass.png", "gravel.png", "motorcycle_left.png", "rocket.jpg"]


def view(half, rng):
    w, h = half.size
    side = int(rng.uniform(0.25, 0.5) * min(w, h))
    x, y = rng.integers(0, w - side + 1), rng.integers(0, h - side + 1)
    crop = np.asarray(half.crop((x, y, x + side, y + side)).resize((96, 96), Image.BILINEAR), dtype=np.float32)
    crop = (crop - 128) * rng.uniform(0.6, 1.2) + 128 + rng.uniform(-40, 40) + rng.normal(0, 8, crop.shape)
    return Image.fromarray(np.clip(crop, 0, 255).astype(np.uint8))


def main(fixtures, out, *shots):
    rng = np.random.default_rng(0)
    for photo in PHOTOS:
        image = Image.open(Path(fixtures) / photo).convert("L")
        w, h = image.size
        halves = {"train": image.crop((0, 0, w // 2, h)), "test": image.crop((w - w // 2, 0, w, h))}
        sets = {"test": 30, **{f"train-{k}": int(k) for k in shots}}
        for name, n in sets.items():
            folder = Path(out) / name / Path(photo).stem
            folder.mkdir(parents=True, exist_ok=True)
            half = halves["test" if name == "test" else "train"]
            for i in range(n):
                view(half, rng).save(folder / f"{i:03}.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
