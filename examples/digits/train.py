#!/usr/bin/python3
"""Trains, exports and checks the two bundled example models.

  digits      a small CNN   (Conv, Relu, MaxPool, Flatten, Gemm)
  digits-mlp  a 3-layer MLP (Flatten, Gemm, Relu)

Both read the scikit-learn 8x8 digits as float32 [N,1,8,8] in [0,1] and return
logits [N,10]. The script writes, relative to examples/:

  models/<name>/1/model.onnx     the exported model (opset 13, input "input",
                                 output "logits", dynamic batch axis)
  models/<name>/labels.txt       "0".."9", one per line
  digits/images/<label>_<k>.png  5 held-out samples per class, 64x64 gray
  digits/reference.json          accuracies and per-image logits for the Go tests
  digits/sample-input.json       the tensor of images/0_0.png for raw-tensor requests

Every run is deterministic: same seeds, one thread, deterministic algorithms,
so rerunning produces byte-identical files. See README.md.
"""

import argparse
import collections
import io
import json
import os
import random
import sys
import time

import numpy as np
import onnx
import torch
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__
import onnx_check  # noqa: E402  (after the flag above)

SEED = 20240601
TEST_SIZE = 0.2
LABELS = [str(i) for i in range(10)]
SAMPLES_PER_CLASS = 5
UPSCALE = 8
OPSET = 13
# Largest tolerated |torch - onnx_check| on a logit (float32 vs float64 math).
ONNX_TOLERANCE = 1e-4


def set_determinism(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set, or parallel work already started
    try:
        torch.use_deterministic_algorithms(True)
    except (AttributeError, RuntimeError):
        pass


def make_cnn():
    return nn.Sequential(collections.OrderedDict([
        ("conv1", nn.Conv2d(1, 16, kernel_size=3, padding=1)),
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(16, 32, kernel_size=3, padding=1)),
        ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 4 * 4, 64)),
        ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(64, 10)),
    ]))


def make_mlp():
    return nn.Sequential(collections.OrderedDict([
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(64, 128)),
        ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(128, 64)),
        ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(64, 10)),
    ]))


# name -> (constructor, epochs, learning rate)
MODELS = collections.OrderedDict([
    ("digits", (make_cnn, 30, 1e-3)),
    ("digits-mlp", (make_mlp, 60, 1e-3)),
])


def load_split():
    """Returns the fixed stratified split: integer images (0..16) and labels."""
    data = load_digits()
    images = data.images.astype(np.int64)  # [1797, 8, 8], values 0..16
    return train_test_split(images, data.target.astype(np.int64),
                            test_size=TEST_SIZE, stratify=data.target,
                            random_state=SEED % (2**32), shuffle=True)


def to_input(images16):
    """Integer 0..16 images [N,8,8] -> float32 tensor [N,1,8,8] in [0,1]."""
    return torch.from_numpy((images16.astype(np.float32) / 16.0)[:, None, :, :])


def train(name, make, epochs, lr, x, y):
    torch.manual_seed(SEED)  # each model's init and shuffling depend only on SEED
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 32):
            idx = order[start:start + 32]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()
    return model


def logits_of(model, x):
    with torch.no_grad():
        return model(x).numpy().astype(np.float32)


def export(model, path):
    """Exports to ONNX, checks it, writes it and returns the ModelProto."""
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, 8, 8), buf,
                      input_names=["input"], output_names=["logits"],
                      opset_version=OPSET, do_constant_folding=True,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    data = buf.getvalue()
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    check_signature(proto)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return proto


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check_signature(proto):
    (inp,), (out,) = proto.graph.input, proto.graph.output
    want = [("input", ["batch", 1, 8, 8]), ("logits", ["batch", 10])]
    got = [(inp.name, dims(inp)), (out.name, dims(out))]
    if got != want:
        raise AssertionError(f"exported signature {got}, want {want}")
    for v in (inp, out):
        if v.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise AssertionError(f"{v.name} is not FLOAT")


def check_export(name, proto, x, want):
    """Runs the exported graph with onnx_check and compares it with torch."""
    got = onnx_check.run(proto, {"input": x})["logits"]
    diff = float(np.max(np.abs(got - want)))
    if diff > ONNX_TOLERANCE or not np.array_equal(got.argmax(1), want.argmax(1)):
        raise AssertionError(f"{name}: ONNX graph differs from torch (max |diff| {diff:g})")
    return diff


def to_png_pixels(image16):
    """0..16 -> 0..255 with round-half-up (only 8 -> 127.5 -> 128 is a tie)."""
    return np.floor(image16 * 255 / 16 + 0.5).astype(np.uint8)


def write_png(pixels, path):
    size = (8 * UPSCALE, 8 * UPSCALE)
    Image.fromarray(pixels, mode="L").resize(size, Image.NEAREST).save(path)


def server_tensor(path):
    """What the server computes from a PNG: gray, BOX resize to 8x8, /255."""
    with Image.open(path) as im:
        small = im.convert("L").resize((8, 8), Image.BOX)
    pixels = np.asarray(small, dtype=np.uint8)
    return pixels, (pixels.astype(np.float32) / np.float32(255))[None, None, :, :]


def softmax(logits):
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def prediction(logits):
    probs = softmax(logits)
    top = sorted(range(len(probs)), key=lambda i: (-probs[i], i))[:3]
    return {
        "predicted": LABELS[int(np.argmax(logits))],
        "logits": [float(v) for v in logits],
        "top3": [{"label": LABELS[i], "probability": float(probs[i])} for i in top],
    }


def dumps(value, indent=0):
    """JSON with objects indented and lists of scalars kept on one line."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [pad + dumps(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"
    return json.dumps(value)


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", default=os.path.dirname(here),
                        help="the examples/ directory to write into (default: %(default)s)")
    args = parser.parse_args()
    out_dir = os.path.join(args.examples, "digits")

    set_determinism(SEED)
    x_tr16, x_te16, y_tr, y_te = load_split()
    x_tr, x_te = to_input(x_tr16), to_input(x_te16)
    y_tr_t = torch.from_numpy(y_tr)

    # The held-out samples: the first SAMPLES_PER_CLASS test items of each class.
    image_dir = os.path.join(out_dir, "images")
    os.makedirs(image_dir, exist_ok=True)
    for old in os.listdir(image_dir):
        if old.endswith(".png"):
            os.remove(os.path.join(image_dir, old))
    samples = []
    for label in range(10):
        for k, idx in enumerate(np.flatnonzero(y_te == label)[:SAMPLES_PER_CLASS]):
            fname = f"{label}_{k}.png"
            path = os.path.join(image_dir, fname)
            write_png(to_png_pixels(x_te16[idx]), path)
            pixels, tensor = server_tensor(path)
            if not np.array_equal(pixels, to_png_pixels(x_te16[idx])):
                raise AssertionError(f"{fname}: BOX downscale is not exact")
            samples.append({"file": fname, "label": LABELS[label],
                            "test_index": int(idx), "pixels": pixels, "tensor": tensor})
    sample_x = np.concatenate([s["tensor"] for s in samples])

    report = {"models": collections.OrderedDict(), "images": []}
    sample_logits = {}
    summary = []
    for name, (make, epochs, lr) in MODELS.items():
        start = time.perf_counter()
        model = train(name, make, epochs, lr, x_tr, y_tr_t)
        seconds = time.perf_counter() - start

        onnx_path = os.path.join(args.examples, "models", name, "1", "model.onnx")
        proto = export(model, onnx_path)
        write_text(os.path.join(args.examples, "models", name, "labels.txt"),
                   "\n".join(LABELS) + "\n")

        test_logits = logits_of(model, x_te)
        logits = logits_of(model, torch.from_numpy(sample_x))
        diff = max(check_export(name, proto, x_te.numpy(), test_logits),
                   check_export(name, proto, sample_x, logits))
        sample_logits[name] = logits

        test_correct = int((test_logits.argmax(1) == y_te).sum())
        labels = np.array([int(s["label"]) for s in samples])
        sample_correct = int((logits.argmax(1) == labels).sum())
        report["models"][name] = {
            "file": os.path.relpath(onnx_path, args.examples),
            "test_accuracy": test_correct / len(y_te),
            "test_correct": test_correct,
            "test_samples": len(y_te),
            "sample_accuracy": sample_correct / len(samples),
            "sample_correct": sample_correct,
            "sample_images": len(samples),
        }
        ops = sorted({n.op_type for n in proto.graph.node})
        summary.append(f"{name:11s} test {test_correct}/{len(y_te)} = "
                       f"{100 * test_correct / len(y_te):.2f}%  samples "
                       f"{sample_correct}/{len(samples)}  train {seconds:.1f}s  "
                       f"{os.path.getsize(onnx_path) / 1024:.1f} KiB  "
                       f"onnx|diff| {diff:.1e}  ops {','.join(ops)}")

    for i, s in enumerate(samples):
        entry = {"file": s["file"], "label": s["label"], "test_index": s["test_index"],
                 "pixels": [int(v) for v in s["pixels"].reshape(-1)]}
        for name in MODELS:
            entry[name] = prediction(sample_logits[name][i])
        report["images"].append(entry)

    doc = collections.OrderedDict([
        ("description", "Reference outputs of the digits example models; written by "
                        "examples/digits/train.py, do not edit."),
        ("seed", SEED),
        ("split", {"dataset": "sklearn.datasets.load_digits", "stratified": True,
                   "test_size": TEST_SIZE, "train_samples": len(y_tr),
                   "test_samples": len(y_te)}),
        ("preprocessing", "PNG -> 8-bit gray -> 8x8 BOX (area) resize -> float32 "
                          "pixel/255 -> [1,1,8,8]; pixels holds the 8x8 gray values "
                          "row-major; logits are the float32 model outputs"),
        ("labels", LABELS),
    ])
    doc.update(report)
    write_text(os.path.join(out_dir, "reference.json"), dumps(doc) + "\n")

    first = samples[0]["tensor"].astype(np.float64).tolist()
    write_text(os.path.join(out_dir, "sample-input.json"),
               dumps({"inputs": {"input": first}}) + "\n")

    print(f"split: {len(y_tr)} train / {len(y_te)} test, seed {SEED}")
    for line in summary:
        print(line)
    print(f"wrote {len(samples)} images, reference.json, sample-input.json "
          f"({samples[0]['file']}) under {out_dir}")


if __name__ == "__main__":
    main()
