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


MODELS = {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2, "transformer_encoder": transformer_encoder}


def export(name, out):
    torch.manual_seed(0)
    model, x, opset = MODELS[name]()
    with torch.no_grad():
        y = model(x)
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, do_constant_folding=True)
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
