"""A tiny NumPy evaluator for the ONNX graphs train.py exports.

Neither onnxruntime nor onnx.reference (added in onnx 1.13) is available on
Debian 12, so the exported files are checked against the PyTorch models with
this independent interpreter. It understands exactly the operators the two
example models use (Conv, Relu, MaxPool, Flatten, Gemm) and refuses anything
else, which also asserts that the exported graphs contain nothing more.
It computes in float64 so that its own rounding is negligible next to the
float32 PyTorch outputs it is compared with.
"""

import numpy as np
import onnx
from onnx import numpy_helper

SUPPORTED_OPS = ("Conv", "Relu", "MaxPool", "Flatten", "Gemm")


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pads(attrs, spatial):
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("auto_pad is not supported")
    pads = list(attrs.get("pads", [0] * (2 * spatial)))
    return pads[:spatial], pads[spatial:]


def _conv(x, w, b, attrs):
    if attrs.get("group", 1) != 1:
        raise ValueError("grouped Conv is not supported")
    if any(d != 1 for d in attrs.get("dilations", [1, 1])):
        raise ValueError("dilated Conv is not supported")
    sh, sw = attrs.get("strides", [1, 1])
    (pt, pl), (pb, pr) = _pads(attrs, 2)
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    m, cw, kh, kw = w.shape
    if cw != c:
        raise ValueError(f"Conv channels: input {c}, weight {cw}")
    oh = (h - kh) // sh + 1
    ow = (wd - kw) // sw + 1
    out = np.zeros((n, m, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
            out += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
    if b is not None:
        out += b.reshape(1, m, 1, 1)
    return out


def _maxpool(x, attrs):
    kh, kw = attrs["kernel_shape"]
    sh, sw = attrs.get("strides", [1, 1])
    if attrs.get("ceil_mode", 0) != 0:
        raise ValueError("MaxPool ceil_mode is not supported")
    if any(d != 1 for d in attrs.get("dilations", [1, 1])):
        raise ValueError("dilated MaxPool is not supported")
    (pt, pl), (pb, pr) = _pads(attrs, 2)
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    _, _, h, w = x.shape
    oh = (h - kh) // sh + 1
    ow = (w - kw) // sw + 1
    out = np.full(x.shape[:2] + (oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return out


def _flatten(x, attrs):
    axis = attrs.get("axis", 1)
    if axis < 0:
        axis += x.ndim
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def _gemm(a, b, c, attrs):
    if attrs.get("transA", 0):
        a = a.T
    if attrs.get("transB", 0):
        b = b.T
    y = attrs.get("alpha", 1.0) * (a @ b)
    if c is not None:
        y = y + attrs.get("beta", 1.0) * c
    return y


def run(model, feeds):
    """Evaluates model (an onnx.ModelProto) on feeds {name: array}.

    Returns {output name: float64 array}.
    """
    env = {t.name: numpy_helper.to_array(t).astype(np.float64)
           for t in model.graph.initializer}
    env.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise ValueError(f"operator domain {node.domain!r} is not supported")
        args = [env[name] if name else None for name in node.input]
        attrs = _attrs(node)
        if node.op_type == "Conv":
            y = _conv(args[0], args[1], args[2] if len(args) > 2 else None, attrs)
        elif node.op_type == "Relu":
            y = np.maximum(args[0], 0.0)
        elif node.op_type == "MaxPool":
            if len(node.output) > 1:
                raise ValueError("MaxPool Indices output is not supported")
            y = _maxpool(args[0], attrs)
        elif node.op_type == "Flatten":
            y = _flatten(args[0], attrs)
        elif node.op_type == "Gemm":
            y = _gemm(args[0], args[1], args[2] if len(args) > 2 else None, attrs)
        else:
            raise ValueError(f"operator {node.op_type} is not supported "
                             f"(expected only {', '.join(SUPPORTED_OPS)})")
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in model.graph.output}
