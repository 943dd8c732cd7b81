"""Exports the real-model test cases of the native engine: ResNet-18 and
MobileNetV2 from torchvision and a small BERT-style encoder built with
torch.nn.TransformerEncoder, each with random weights from a fixed seed and
the outputs PyTorch computes for a fixed-seed input.

Each model is written as a directory in the layout of the ONNX backend test
suite, so that `inferd conformance --suite DIR` runs them too:

    <out>/<name>/model.onnx
    <out>/<name>/test_data_set_0/input_0.pb, output_0.pb

Batch-norm statistics are calibrated on random batches before export (the
default ones would let activations grow layer after layer), so that the
outputs are of order one and a 1e-4 absolute tolerance is meaningful.

Usage: /usr/bin/python3 examples/zoo/generate.py [--out DIR] [names...]
The CNNs (45 MB and 14 MB) go to .cache/zoo (not committed), made by
scripts/gen-zoo.sh; the encoder is small and committed under
examples/zoo/transformer_encoder.
"""

import argparse
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn


def calibrate(model, shape, steps=4):
    """Sets batch-norm running statistics from random batches."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(steps):
            model(torch.randn(*shape))
    model.eval()


def resnet18():
    import torchvision
    m = torchvision.models.resnet18(weights=None)
    calibrate(m, (8, 3, 224, 224))
    return m, torch.randn(2, 3, 224, 224), 13


def mobilenet_v2():
    import torchvision
    m = torchvision.models.mobilenet_v2(weights=None)
    calibrate(m, (8, 3, 224, 224))
    return m, torch.randn(2, 3, 224, 224), 13


class Encoder(nn.Module):
    """A BERT-style classifier: token and position embeddings, two
    Transformer encoder layers with GELU, a final LayerNorm and a linear
    head on the first token."""

    def __init__(self, vocab=100, d=32, heads=4, ff=64, layers=2, max_len=16, classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(max_len, d) * 0.1)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.emb(ids) + self.pos[: ids.shape[1]]
        x = self.norm(self.enc(x))
        return self.head(x[:, 0])


def transformer_encoder():
    m = Encoder().eval()
    return m, torch.randint(0, 100, (2, 12)), 17


def conv_bn(cin, cout, k=3, s=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class DecomposedHardswish(nn.Module):
    """Hardswish as some exporters write it: Add(3), Clip(0, 6), Mul, Div(6)."""

    def forward(self, x):
        return x * torch.clamp(x + 3, 0, 6) / 6


class DBDetector(nn.Module):
    """A DB-style text detector: a strided CNN backbone, a feature pyramid
    merged with nearest-neighbour upsampling (Resize), and a head that
    upsamples twice with ConvTranspose (kernel = stride = 2) to a
    probability map of the input's size."""

    def __init__(self, widths=(16, 32, 64, 96), inner=32):
        super().__init__()
        self.stem = conv_bn(3, widths[0], 3, 2, nn.ReLU)
        stages, cin = [], widths[0]
        for i, w in enumerate(widths):
            stages.append(nn.Sequential(conv_bn(cin, w, 3, 2, nn.ReLU), conv_bn(w, w, 3, 1, nn.ReLU)))
            cin = w
        self.stages = nn.ModuleList(stages)
        self.lateral = nn.ModuleList(nn.Conv2d(w, inner, 1) for w in widths)
        self.smooth = nn.ModuleList(nn.Conv2d(inner, inner // 4, 3, padding=1) for _ in widths)
        self.head = nn.Sequential(
            conv_bn(inner, inner // 4, 3, 1, nn.ReLU),
            nn.ConvTranspose2d(inner // 4, inner // 4, 2, 2), nn.BatchNorm2d(inner // 4), nn.ReLU(),
            nn.ConvTranspose2d(inner // 4, 1, 2, 2), nn.Sigmoid())

    def forward(self, x):
        feats, x = [], self.stem(x)
        for s in self.stages:
            x = s(x)
            feats.append(x)
        lat = [l(f) for l, f in zip(self.lateral, feats)]
        for i in range(len(lat) - 1, 0, -1):
            lat[i - 1] = lat[i - 1] + nn.functional.interpolate(lat[i], scale_factor=2.0, mode="nearest")
        outs = [sm(l) for sm, l in zip(self.smooth, lat)]
        outs = [nn.functional.interpolate(o, scale_factor=float(2 ** i), mode="nearest") if i else o for i, o in enumerate(outs)]
        return self.head(torch.cat(outs, 1))


def db_detector():
    m = DBDetector()
    calibrate(m, (8, 3, 128, 128))
    return m, torch.randn(2, 3, 128, 128), 11


class CRNN(nn.Module):
    """A CRNN text recogniser: a CNN with decomposed hardswish reduces a
    32-pixel-high line to a sequence, a bidirectional LSTM reads it, a linear
    layer gives per-step class scores."""

    def __init__(self, classes=37, hidden=48):
        super().__init__()
        hs = DecomposedHardswish
        self.cnn = nn.Sequential(
            conv_bn(1, 16, 3, 1, hs), nn.MaxPool2d(2, 2),
            conv_bn(16, 32, 3, 1, hs), nn.MaxPool2d(2, 2),
            conv_bn(32, 48, 3, 1, hs), conv_bn(48, 48, 3, 1, hs), nn.MaxPool2d((2, 1), (2, 1)),
            conv_bn(48, 64, 3, 1, hs), nn.MaxPool2d((4, 1), (4, 1)))
        self.rnn = nn.LSTM(64, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        f = self.cnn(x).squeeze(2).permute(2, 0, 1)  # [W, N, C]
        y, _ = self.rnn(f)
        return self.fc(y)


def crnn():
    m = CRNN()
    calibrate(m, (8, 1, 32, 128))
    return m, torch.randn(2, 1, 32, 128), 13


def transformer_gelu():
    """The encoder at opset 13: LayerNorm and GELU are exported decomposed
    (ReduceMean, Sub, Pow, Sqrt, Div; Div, Erf, Add, Mul)."""
    m = Encoder(vocab=1000, d=64, heads=4, ff=256, layers=2, max_len=32, classes=4).eval()
    return m, torch.randint(0, 1000, (2, 32)), 13


MODELS = {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2, "transformer_encoder": transformer_encoder,
          "db_detector": db_detector, "crnn": crnn, "transformer_gelu": transformer_gelu}


def export(name, out):
    torch.manual_seed(0)
    model, x, opset = MODELS[name]()
    with torch.no_grad():
        y = model(x)
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    out_axis = 1 if name == "crnn" else 0  # the CRNN's output is [steps, batch, classes]
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {out_axis: "batch"}}, do_constant_folding=True,
                      dynamo=False) if "dynamo" in torch.onnx.export.__code__.co_varnames else \
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {out_axis: "batch"}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    for kind, arr, n in (("input", x.numpy(), "input"), ("output", y.numpy(), "output")):
        t = numpy_helper.from_array(np.ascontiguousarray(arr), n)
        with open(os.path.join(d, "test_data_set_0", kind + "_0.pb"), "wb") as f:
            f.write(t.SerializeToString())
    print("%-20s %9d bytes  output %s  |max| %.3f" % (name, os.path.getsize(path), tuple(y.shape), float(y.abs().max())))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=".cache/zoo")
    p.add_argument("names", nargs="*", default=list(MODELS))
    a = p.parse_args()
    for name in a.names:
        export(name, a.out)


if __name__ == "__main__":
    main()
