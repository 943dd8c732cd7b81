#!/usr/bin/python3
"""Trains and exports the read-number detector, and writes the sample canvases.

read-number reads a number of 1-4 handwritten digits placed on a 16x64 canvas.
The chain is served by inferd as a pipeline (examples/models/read-number):

  detect  this script's detector: canvas [1,1,16,64] -> for each of 16 columns
          of 4 pixels, the probability that a digit is centred in it
          ("scores" [16]) and that digit's box in pixels ("boxes" [16,4],
          x1 y1 x2 y2)
  keep    threshold: the columns scoring 0.5 or more (left to right)
  crop    crop_resize: each box cut out and resized to 8x8
  read    the digits classifier (examples/models/digits)
  ...     softmax, argmax, label lookup, join: the number as a string

Canvases are made from scikit-learn's 8x8 digits, split as examples/digits/
train.py splits them: the detector trains on canvases of training digits, and
the samples are made of held-out digits, so neither model saw them.

Writes, relative to examples/:
  models/read-number-detector/1/model.onnx   the detector (opset 13)
  read-number/images/<number>_<k>.png        sample canvases, 64x256 gray
                                             (4x, white digits on black)
  read-number/reference.json                 the detector's held-out figures

Deterministic: fixed seeds, one thread, deterministic algorithms.
Run it with examples/read-number/train.sh.
"""

import io
import json
import os
import random
import sys

import numpy as np
import onnx
import torch
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

SEED = 20240601  # as examples/digits/train.py: the same held-out digits
H, W, CELL = 16, 64, 4
CELLS = W // CELL
TRAIN_CANVASES, TEST_CANVASES = 24000, 2000
EPOCHS, BATCH = 12, 128
SAMPLES = 24
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.dirname(HERE)


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def digits_split():
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    return train_test_split(x, d.target, test_size=0.2, random_state=SEED, stratify=d.target)


def scaled(img, s):
    """An 8x8 digit in [0, 1] resized to s x s (bilinear)."""
    return np.asarray(Image.fromarray(img, mode="F").resize((s, s), Image.BILINEAR), dtype=np.float32).clip(0, 1)


def canvas(rng, images, labels):
    """One canvas: 1-4 digits left to right, of sizes 9-14 pixels, with the
    per-column targets (objectness, box) and the number."""
    n = int(rng.integers(1, 5))
    sizes = [int(rng.integers(9, 15)) for _ in range(n)]
    gaps = [int(rng.integers(1, 4)) for _ in range(n - 1)]
    room = W - sum(sizes) - sum(gaps)
    x = int(rng.integers(0, room + 1))
    c = np.zeros((H, W), np.float32)
    obj = np.zeros(CELLS, np.float32)
    box = np.zeros((CELLS, 4), np.float32)
    number = ""
    for i, s in enumerate(sizes):
        k = int(rng.integers(0, len(images)))
        y = int(rng.integers(0, H - s + 1))
        c[y:y + s, x:x + s] = np.maximum(c[y:y + s, x:x + s], scaled(images[k], s))
        cx, cy = x + s / 2, y + s / 2
        cell = min(int(cx // CELL), CELLS - 1)
        obj[cell] = 1
        box[cell] = [cx / CELL - cell, cy / H, s / H, s / H]
        number += str(int(labels[k]))
        x += s + (gaps[i] if i < len(gaps) else 0)
    return c, obj, box, number


def dataset(rng, images, labels, count):
    cs, objs, boxes, numbers = zip(*(canvas(rng, images, labels) for _ in range(count)))
    return (torch.tensor(np.stack(cs))[:, None], torch.tensor(np.stack(objs)),
            torch.tensor(np.stack(boxes)), list(numbers))


class Detector(nn.Module):
    """A fully convolutional detector: one prediction per 4-pixel column."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, (4, 3), padding=(0, 1)), nn.ReLU(),
            nn.Conv2d(32, 5, 1))

    def forward(self, x):
        """Raw outputs [N, 5, 16]: objectness logit, then tx, ty, tw, th logits."""
        return self.body(x)[:, :, 0, :]


class Exported(nn.Module):
    """The detector with its outputs decoded, for one canvas: scores [16]
    and boxes [16, 4] (x1, y1, x2, y2 in pixels)."""

    def __init__(self, det):
        super().__init__()
        self.det = det
        self.register_buffer("cells", torch.arange(CELLS, dtype=torch.float32))

    def forward(self, x):
        r = self.det(x)[0]
        t = torch.sigmoid(r)
        cx = (self.cells + t[1]) * CELL
        cy, w, h = t[2] * H, t[3] * H, t[4] * H
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)
        return t[0], boxes


def train(det, data):
    x, obj, box, _ = data
    opt = torch.optim.Adam(det.parameters(), lr=2e-3)
    bce = nn.BCEWithLogitsLoss()
    g = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x), generator=g)
        total = 0.0
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            r = det(x[idx])
            loss = bce(r[:, 0], obj[idx])
            pos = obj[idx] > 0
            pred = torch.sigmoid(r[:, 1:].permute(0, 2, 1))[pos]
            loss = loss + 5 * nn.functional.smooth_l1_loss(pred, box[idx][pos], beta=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(x):.4f}", flush=True)


def evaluate(det, data):
    """Share of canvases whose digit count and columns are found exactly,
    and the mean IoU of the boxes found at the right columns."""
    x, obj, box, _ = data
    exported = Exported(det).eval()
    exact, ious = 0, []
    with torch.no_grad():
        for i in range(len(x)):
            scores, boxes = exported(x[i:i + 1])
            found = scores >= 0.5
            if torch.equal(found, obj[i] > 0):
                exact += 1
            for k in torch.nonzero(obj[i] > 0)[:, 0].tolist():
                tx, ty, tw, th = box[i, k].tolist()
                cx, cy, s = (k + tx) * CELL, ty * H, tw * H
                want = [cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2]
                ious.append(iou(boxes[k].tolist(), want))
    return exact / len(x), float(np.mean(ious))


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def export(det, path):
    buf = io.BytesIO()
    torch.onnx.export(Exported(det).eval(), torch.zeros(1, 1, H, W), buf,
                      input_names=["image"], output_names=["scores", "boxes"],
                      opset_version=13, do_constant_folding=True)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def write_samples(rng, images, labels):
    out = os.path.join(HERE, "images")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    seen = {}
    for _ in range(SAMPLES):
        c, _, _, number = canvas(rng, images, labels)
        k = seen.get(number, 0)
        seen[number] = k + 1
        img = Image.fromarray((c * 255).round().astype(np.uint8), mode="L").resize((W * 4, H * 4), Image.NEAREST)
        img.save(os.path.join(out, f"{number}_{k}.png"), optimize=True)


def main():
    sys.dont_write_bytecode = True
    set_determinism(SEED)
    x_train, x_test, y_train, y_test = digits_split()
    rng = np.random.default_rng(SEED)
    train_data = dataset(rng, x_train, y_train, TRAIN_CANVASES)
    test_data = dataset(rng, x_test, y_test, TEST_CANVASES)
    det = Detector()
    train(det, train_data)
    det.eval()
    exact, mean_iou = evaluate(det, test_data)
    print(f"held-out canvases: {exact:.3%} with every digit found exactly; mean box IoU {mean_iou:.3f}")
    export(det, os.path.join(EXAMPLES, "models", "read-number-detector", "1", "model.onnx"))
    write_samples(rng, x_test, y_test)
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump({"heldout_canvases": TEST_CANVASES, "detector_exact": round(exact, 4),
                   "mean_box_iou": round(mean_iou, 4)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
