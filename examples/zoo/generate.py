"""Exports the real-model test cases of the native engine: ResNet-18 and
MobileNetV2 from torchvision, a small BERT-style encoder built with
torch.nn.TransformerEncoder, and the zoo of shapes users bring (text
detector, CRNN, transformer with decomposed GELU, voice-activity LSTM with
If, YOLO-style detector with NonMaxSuppression), each with random weights
from a fixed seed and the outputs PyTorch computes for fixed-seed inputs.

Each model is written as a directory in the layout of the ONNX backend test
suite, so that `inferd conformance --suite DIR` runs them too:

    <out>/<name>/model.onnx
    <out>/<name>/test_data_set_0/input_0.pb, output_0.pb (one file per input
    and output; further test_data_set_N for other inputs, e.g. an If's other
    branch)

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


@torch.jit.script
def vad_front(x, sr, w16, b16, w8, b8):
    """The sample-rate branch of a voice-activity model, scripted so that it
    exports as an ONNX If on the scalar sr input (as public VAD models do):
    512 samples at 16 kHz or 256 at 8 kHz, each to 16 frames."""
    if bool(sr == 16000):
        f = torch.nn.functional.conv1d(x.unsqueeze(1), w16, b16, stride=32)
    else:
        f = torch.nn.functional.conv1d(x.unsqueeze(1), w8, b8, stride=16)
    return torch.relu(f)


class VAD(nn.Module):
    """A voice-activity LSTM model: audio chunk [N, samples], scalar INT64
    sample rate (the If), recurrent state [2, N, hidden] in and out, speech
    probability [N, 1] out."""

    def __init__(self, ch=32, hidden=64):
        super().__init__()
        self.enc16 = nn.Conv1d(1, ch, 32, 32)
        self.enc8 = nn.Conv1d(1, ch, 16, 16)
        self.conv = nn.Conv1d(ch, ch, 3, padding=1)
        self.lstm = nn.LSTM(ch, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, sr, state):
        f = vad_front(x, sr, self.enc16.weight, self.enc16.bias, self.enc8.weight, self.enc8.bias)
        f = torch.relu(self.conv(f))  # [N, C, T]
        y, (h, c) = self.lstm(f.permute(2, 0, 1), (state[0:1], state[1:2]))
        return torch.sigmoid(self.head(y[-1])), torch.cat([h, c], 0)


def vad_lstm():
    m = VAD().eval()
    x = (torch.randn(2, 512) * 0.3, torch.tensor(16000, dtype=torch.int64), torch.randn(2, 2, 64) * 0.1)
    x8 = (torch.randn(3, 256) * 0.3, torch.tensor(8000, dtype=torch.int64), torch.randn(2, 3, 64) * 0.1)
    return dict(model=m, inputs=x, more_inputs=[x8], opset=16, input_names=["input", "sr", "state"], output_names=["output", "stateN"],
                dynamic_axes={"input": {0: "batch", 1: "samples"}, "state": {1: "batch"}, "output": {0: "batch"}, "stateN": {1: "batch"}})


class NMS(torch.autograd.Function):
    """ONNX NonMaxSuppression (as YOLO exporters emit it), with its reference
    in PyTorch: per image and class, boxes scoring above score_th in
    decreasing score order, dropping those overlapping a kept one by more
    than iou, at most max_out; rows [image, class, box]."""

    @staticmethod
    def forward(ctx, boxes, scores, max_out, iou, score_th):
        import torchvision
        rows = []
        for b in range(boxes.shape[0]):
            for c in range(scores.shape[1]):
                idx = torch.nonzero(scores[b, c] > score_th).flatten()
                keep = idx[torchvision.ops.nms(boxes[b, idx], scores[b, c, idx], iou)[:max_out]]
                rows.append(torch.stack([torch.full_like(keep, b), torch.full_like(keep, c), keep], 1))
        return torch.cat(rows)

    @staticmethod
    def symbolic(g, boxes, scores, max_out, iou, score_th):
        const = lambda v, t: g.op("Constant", value_t=torch.tensor([v], dtype=t))  # noqa: E731
        return g.op("NonMaxSuppression", boxes, scores, const(max_out, torch.int64),
                    const(iou, torch.float32), const(score_th, torch.float32))


class YOLO(nn.Module):
    """A YOLO-style detector: a SiLU CNN backbone with residual blocks, a
    feature pyramid merged with nearest upsampling and Concat, an
    anchor-free head at strides 8, 16 and 32 decoded to corner boxes, and
    NonMaxSuppression. Outputs boxes [N, A, 4], class scores [N, C, A] and
    the selected [K, 3] indices."""

    def __init__(self, classes=4, size=128, widths=(16, 32, 64, 96)):
        super().__init__()
        silu = nn.SiLU
        self.stem = nn.Sequential(conv_bn(3, widths[0], 3, 2, silu), conv_bn(widths[0], widths[0], 3, 2, silu))
        stages, cin = [], widths[0]
        for w in widths[1:]:
            stages.append(nn.ModuleList([conv_bn(cin, w, 3, 2, silu), conv_bn(w, w, 3, 1, silu), conv_bn(w, w, 3, 1, silu)]))
            cin = w
        self.stages = nn.ModuleList(stages)
        self.up = nn.ModuleList([conv_bn(widths[3] + widths[2], widths[2], 1, 1, silu),
                                 conv_bn(widths[2] + widths[1], widths[1], 1, 1, silu)])
        self.heads = nn.ModuleList(nn.Conv2d(w, 4 + classes, 1) for w in (widths[1], widths[2], widths[3]))
        grids, strides = [], []
        for s in (8, 16, 32):
            n = size // s
            yy, xx = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
            grids.append(torch.stack([xx, yy], 0).reshape(2, -1).float())
            strides.append(torch.full((1, n * n), float(s)))
        self.register_buffer("grid", torch.cat(grids, 1))
        self.register_buffer("stride", torch.cat(strides, 1))

    def forward(self, x):
        x, feats = self.stem(x), []
        for down, b1, b2 in self.stages:
            x = down(x)
            x = x + b2(b1(x))
            feats.append(x)
        p3, p4, p5 = feats
        p4 = self.up[0](torch.cat([nn.functional.interpolate(p5, scale_factor=2.0, mode="nearest"), p4], 1))
        p3 = self.up[1](torch.cat([nn.functional.interpolate(p4, scale_factor=2.0, mode="nearest"), p3], 1))
        out = torch.cat([h(p).flatten(2) for h, p in zip(self.heads, (p3, p4, p5))], 2)  # [N, 4+C, A]
        xy = (out[:, :2].sigmoid() * 2 - 0.5 + self.grid) * self.stride
        wh = out[:, 2:4].sigmoid() * 4 * self.stride
        boxes = torch.cat([xy - wh / 2, xy + wh / 2], 1).transpose(1, 2)  # [N, A, 4] corners
        scores = out[:, 4:].sigmoid()
        return boxes, scores, NMS.apply(boxes, scores, 20, 0.45, 0.25)


def yolo_detector():
    m = YOLO()
    calibrate(m, (8, 3, 128, 128))
    return dict(model=m, inputs=(torch.randn(2, 3, 128, 128),), opset=17, input_names=["images"],
                output_names=["boxes", "scores", "selected"],
                dynamic_axes={"images": {0: "batch"}, "boxes": {0: "batch"}, "scores": {0: "batch"}, "selected": {0: "k"}})


MODELS = {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2, "transformer_encoder": transformer_encoder,
          "db_detector": db_detector, "crnn": crnn, "transformer_gelu": transformer_gelu,
          "vad_lstm": vad_lstm, "yolo_detector": yolo_detector}


def spec(name):
    """The model, its inputs and export settings: a dict, or (model, x,
    opset) for one input and one output with a variable batch."""
    r = MODELS[name]()
    if isinstance(r, dict):
        return r
    model, x, opset = r
    out_axis = 1 if name == "crnn" else 0  # the CRNN's output is [steps, batch, classes]
    return dict(model=model, inputs=(x,), opset=opset, input_names=["input"], output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {out_axis: "batch"}})


def export(name, out):
    torch.manual_seed(0)
    s = spec(name)
    model, xs = s["model"], s["inputs"]
    d = os.path.join(out, name)
    path = os.path.join(d, "model.onnx")
    os.makedirs(d, exist_ok=True)
    kw = dict(opset_version=s["opset"], input_names=s["input_names"], output_names=s["output_names"],
              dynamic_axes=s["dynamic_axes"], do_constant_folding=True)
    if "dynamo" in torch.onnx.export.__code__.co_varnames:
        kw["dynamo"] = False
    torch.onnx.export(model, xs, path, **kw)
    onnx.checker.check_model(onnx.load(path))
    # One test data set per input tuple: the export's, then any others (the
    # other branch of an If).
    for k, inputs in enumerate([xs] + s.get("more_inputs", [])):
        with torch.no_grad():
            ys = model(*inputs)
        ys = ys if isinstance(ys, tuple) else (ys,)
        ds = os.path.join(d, "test_data_set_%d" % k)
        os.makedirs(ds, exist_ok=True)
        for kind, arrs, names in (("input", inputs, s["input_names"]), ("output", ys, s["output_names"])):
            for i, (arr, n) in enumerate(zip(arrs, names)):
                # (np.ascontiguousarray would turn a scalar into a 1-D array.)
                t = numpy_helper.from_array(arr.numpy().copy(order="C"), n)
                with open(os.path.join(ds, "%s_%d.pb" % (kind, i)), "wb") as f:
                    f.write(t.SerializeToString())
        print("%-20s %9d bytes  set %d outputs %s" % (name, os.path.getsize(path), k, [tuple(y.shape) for y in ys]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=".cache/zoo")
    p.add_argument("names", nargs="*", default=list(MODELS))
    a = p.parse_args()
    for name in a.names:
        export(name, a.out)


if __name__ == "__main__":
    main()
