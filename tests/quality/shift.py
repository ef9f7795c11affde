"""Copies a folder tree of images with a synthetic camera shift applied, as another camera or
other light would give: what `adapt.sh` adapts to.

usage: shift.py SHIFT IN OUT
SHIFT is comma-separated: dark (under-exposed, x0.45), contrast (halved around the mean), cast
(warm tungsten light: red x1.15, green x0.95, blue x0.65), blur (out of focus, Gaussian radius
1.5 px on 64 px), noise (sensor noise, Gaussian sigma 10 of 255), or "none". Seeded per file, so
a run is reproducible.
"""
import sys, zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

KNOWN = {"dark", "contrast", "cast", "blur", "noise", "none"}


def shifted(img, shift, seed):
    img = img.convert("RGB")
    if "blur" in shift:
        img = img.filter(ImageFilter.GaussianBlur(1.5))
    a = np.asarray(img).astype(np.float32)
    if "contrast" in shift:
        a = (a - a.mean()) * 0.5 + a.mean()
    if "dark" in shift:
        a = a * 0.45
    if "cast" in shift:
        a = a * np.array([1.15, 0.95, 0.65], dtype=np.float32)
    if "noise" in shift:
        a = a + np.random.default_rng(seed).normal(0, 10, a.shape)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))


def main(shift, source, out):
    shift = set(shift.split(","))
    if not shift <= KNOWN:
        sys.exit(f"unknown shift {sorted(shift - KNOWN)}; known: {sorted(KNOWN)}")
    source, out = Path(source), Path(out)
    for path in sorted(source.rglob("*.png")):
        target = out / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shifted(Image.open(path), shift, zlib.crc32(str(path.relative_to(source)).encode())).save(target)


if __name__ == "__main__":
    main(*sys.argv[1:])
