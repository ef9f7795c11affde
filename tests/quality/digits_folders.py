"""Writes scikit-learn's digits as class folders of PNGs for `glimpse train` / `glimpse eval`.

usage: digits_folders.py DIGITS_CSV_GZ OUT SHOTS... [unlabelled:N]
OUT/test/<digit>/ gets the same 30 images per class for every run; OUT/train-<k>/<digit>/ gets
k other images per class; `unlabelled:N` writes N more per class, from the other end of the
shuffled list, into one folder OUT/unlabelled/ (glimpse adapt reads no labels). The 8×8 images (0..16, ink high) are drawn dark on light, upscaled to
64×64 by pixel replication, as a photo of a written digit would look. Only the standard library.
"""
import gzip, random, struct, sys, zlib
from pathlib import Path


def png(path, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)  # 8-bit greyscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def image(values, scale=8):
    grid = [[255 - v * 255 // 16 for v in values[r * 8:(r + 1) * 8]] for r in range(8)]
    return [[p for p in row for _ in range(scale)] for row in grid for _ in range(scale)]


def main(source, out, *shots):
    by_digit = {}
    for line in gzip.open(source, "rt"):
        *pixels, label = [int(float(v)) for v in line.split(",")]
        by_digit.setdefault(label, []).append(pixels)
    out = Path(out)
    rng = random.Random(0)
    for digit, images in sorted(by_digit.items()):
        rng.shuffle(images)
        sets = {"test": images[:30]}
        for k in shots:
            if k.startswith("unlabelled:"):
                n = int(k.split(":")[1])
                folder = out / "unlabelled"
                folder.mkdir(parents=True, exist_ok=True)
                for i, pixels in enumerate(images[len(images) - n:]):
                    png(folder / f"{digit}-{i:03}.png", image(pixels))
                continue
            sets[f"train-{k}"] = images[30:30 + int(k)]
        for name, chosen in sets.items():
            folder = out / name / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            for i, pixels in enumerate(chosen):
                png(folder / f"{i:03}.png", image(pixels))


if __name__ == "__main__":
    main(*sys.argv[1:])
