"""Writes the fake webcam's video: two real photos (scikit-image's cat and coffee cup), each
filling half the loop, with a small random shift and zoom on every frame as a hand-held camera.

usage: make_webcam.py FIXTURES OUT.y4m
       make_webcam.py --still IMAGE OUT.y4m   (one picture, resized to 320×240, for 2 s)

320×240 at 10 frames/s, 4:2:0 (Chromium's --use-file-for-fake-video-capture plays it in a loop).
The photo fills the centre 240×240 square, which is exactly what the core's centre crop keeps;
the 40-pixel bands either side are a marker for the test (white while the cat shows, black
while the cup shows), so the test knows what is on screen and the model never sees it.
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

W, H, FPS, SIDE = 320, 240, 10, 240
PER_OBJECT = 80  # 8 s of each object per loop
OBJECTS = [("chelsea.png", 235), ("coffee.png", 16)]  # photo, marker luma


def view(photo, rng):
    """A square crop of `photo` zoomed in by up to 15 % and shifted by up to 4 % of its side."""
    w, h = photo.size
    side = min(w, h) / rng.uniform(1.0, 1.15)
    cx = w / 2 + rng.uniform(-0.04, 0.04) * side
    cy = h / 2 + rng.uniform(-0.04, 0.04) * side
    box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    box = tuple(int(round(v)) for v in box)
    return np.asarray(photo.crop(box).resize((SIDE, SIDE), Image.BILINEAR), dtype=np.float32)


def yuv420(rgb):
    """BT.601 full range, as the C420jpeg tag says."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    sub = lambda c: c.reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    return [np.clip(np.round(c), 0, 255).astype(np.uint8).tobytes() for c in (y, sub(u), sub(v))]


def main(fixtures, out):
    rng = np.random.default_rng(7)
    left = (W - SIDE) // 2
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for name, marker in OBJECTS:
            photo = Image.open(Path(fixtures) / name).convert("RGB")
            for _ in range(PER_OBJECT):
                frame = np.full((H, W, 3), marker, dtype=np.float32)
                frame[:, left:left + SIDE] = view(photo, rng)
                f.write(b"FRAME\n")
                for plane in yuv420(frame):
                    f.write(plane)


def still(image, out):
    """A camera held still over one picture (a counting scene, whose points the test knows)."""
    frame = np.asarray(Image.open(image).convert("RGB").resize((W, H), Image.BILINEAR), dtype=np.float32)
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(2 * FPS):
            f.write(b"FRAME\n")
            for plane in yuv420(frame):
                f.write(plane)


if __name__ == "__main__":
    if sys.argv[1] == "--still":
        still(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
