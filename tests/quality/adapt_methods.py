"""Which feature alignment to adapt with: a benchmark behind the choice in `learn/adapt.rs`.

usage: adapt_methods.py DIGITS_CSV_GZ ONNX
Lite0's features of scikit-learn's digits from the reference ONNX graph (tests/reference, equal
to Glimpse's within 1e-5), rendered as digits_folders.py renders them. A cosine-softmax head
(as Glimpse's default) learns 30 clean images per digit; 30 others per digit under each shift of
shift.py are classified after aligning their features with those of 30 more unlabelled ones per
digit from the same shift: not at all; centring (the domain's mean moved onto the training
mean: what Glimpse does); diagonal CORAL (also each dimension's spread scaled to the training
spread); SimpleShot (each domain centred on its own mean then L2-normalised, the head retrained
on the centred training features). Prints a Markdown table of test accuracies. NumPy only.
"""
import gzip, sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from digits_folders import image  # noqa: E402
from shift import shifted  # noqa: E402

SHIFTS = ["dark", "contrast", "cast", "blur", "noise", "dark,contrast,cast,blur,noise"]


def main(digits, onnx):
    rows = [[int(float(v)) for v in line.split(",")] for line in gzip.open(digits, "rt")]
    pixels, labels = [r[:-1] for r in rows], np.array([r[-1] for r in rows])
    rng = np.random.default_rng(0)
    order = rng.permutation(len(labels))
    take = lambda a, b: np.concatenate([order[labels[order] == c][a:b] for c in range(10)])
    train, test, pool = take(0, 30), take(30, 60), take(60, 90)
    session = ort.InferenceSession(onnx)

    def features(indices, shift=None):
        out = []
        for i in range(0, len(indices), 32):
            batch = []
            for j in indices[i:i + 32]:
                img = Image.fromarray(np.array(image(pixels[j]), dtype=np.uint8)).convert("RGB")
                img = shifted(img, set(shift.split(",")), int(j)) if shift else img
                a = np.asarray(img.resize((224, 224), Image.BILINEAR)).astype(np.float32)
                batch.append(((a - 127) / 128).transpose(2, 0, 1))
            out.append(session.run(["features"], {"input": np.stack(batch)})[0])
        return np.concatenate(out)

    def fit(x, y):
        d = x.shape[1]
        unit = lambda f: f / np.linalg.norm(f, axis=1, keepdims=True)
        w, b, onehot = np.zeros((d, 10)), np.zeros(10), np.eye(10)[y]
        for _ in range(1500):
            logits = unit(x) @ w + b
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            g = (p - onehot) / len(x)
            w -= 2.0 * (unit(x).T @ g + 1e-4 * w)
            b -= 2.0 * g.sum(0)
        return lambda f: np.argmax(unit(f) @ w + b, 1)

    source = features(train)
    head, centred_head = fit(source, labels[train]), fit(source - source.mean(0), labels[train])
    ms, ss = source.mean(0), source.std(0)
    accuracy = lambda predicted: f"{(predicted == labels[test]).mean():.3f}"
    print("| shift | none | centring (Glimpse) | diagonal CORAL | SimpleShot |\n|---|---|---|---|---|")
    for shift in [None] + SHIFTS:
        target, unlabelled = features(test, shift), features(pool, shift)
        mt, st = unlabelled.mean(0), unlabelled.std(0)
        eps = 1e-2 * (ss ** 2).mean()
        coral = (target - mt) * np.sqrt((ss ** 2 + eps) / (st ** 2 + eps)) + ms
        cells = [head(target), head(target - mt + ms), head(coral), centred_head(target - mt)]
        print(f"| {shift or 'none'} | " + " | ".join(accuracy(c) for c in cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:])
