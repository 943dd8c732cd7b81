"""Exports ResNet-18 and MobileNetV2 (torchvision architectures, random
weights: no download) to ONNX with a dynamic batch dimension, for inferd perf.
BatchNorm statistics are calibrated on random inputs first, so that the
activations, and the logits compared between engines, are of order 1.

    /usr/bin/python3 docs/export_vision_models.py DIR    # needs python3-torchvision
"""
import os
import sys

import torch
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)

torch.manual_seed(0)
for name, ctor in [("resnet18", torchvision.models.resnet18), ("mobilenet_v2", torchvision.models.mobilenet_v2)]:
    m = ctor(weights=None)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.momentum = None  # cumulative average over the calibration batches
    m.train()
    with torch.no_grad():
        for _ in range(8):
            m(torch.randn(8, 3, 224, 224))
    m.eval()
    x = torch.randn(1, 3, 224, 224)
    print(name, "logit std", m(x).std().item())
    torch.onnx.export(m, x, os.path.join(out, name + ".onnx"), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
