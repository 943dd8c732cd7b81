"""Exports a PyTorch image classifier to ONNX with a dynamic batch axis.

    /usr/bin/python3 examples/export/pytorch_export.py OUT_DIR

writes OUT_DIR/model.onnx, plus what scripts/export-check.sh (run by
scripts/test.sh) uses to check the served model:
OUT_DIR/request.json, a request of the seed JSON route with a batch of three
inputs, and OUT_DIR/expected.json, PyTorch's outputs for it.

The network stands in for yours: a small CNN over 3x32x32 RGB images with ten
classes and random weights from a fixed seed (the export is the same for a
trained one). Needs python3-torch and python3-onnx (Debian 12).
"""

import json
import os
import sys

import onnx
import torch
from torch import nn


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pytorch_export.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)

    model = SmallCNN()
    # Give the BatchNorm layers non-trivial statistics, as training would.
    for bn in (model.features[1], model.features[5]):
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.running_var.uniform_(0.5, 1.5)
    model.eval()  # inference mode: BatchNorm uses its running statistics

    # The example input fixes every dimension but the ones named dynamic:
    # axis 0 of the input and of the output is the batch, of any size.
    example = torch.rand(1, 3, 32, 32)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(
        model, example, path,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
    )
    onnx.checker.check_model(onnx.load(path))

    # A batch of three (the export used one): the served model must agree.
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        y = model(x)
    with open(os.path.join(out, "request.json"), "w") as f:
        json.dump({"inputs": {"input": x.tolist()}}, f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"logits": y.tolist()}, f)
    print("pytorch_export: wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
