#!/usr/bin/python3
"""Generates the engine conformance models in this directory.

Run with /usr/bin/python3 (Debian's python3-onnx and numpy; torch is used,
when present, only to cross-check the numpy references):

    cd engine/enginetest/testdata && /usr/bin/python3 gen.py

For every case it writes NAME.onnx, built with onnx.helper and checked with
onnx.checker, and NAME.json with the inputs and the outputs computed by the
numpy reference implementations below:

    {"inputs": [TENSOR...], "outputs": [TENSOR...],
     "errors": [{"inputs": [TENSOR...], "contains": "text"}],
     "load_error": ["text", ...]}

where TENSOR is {"name", "datatype" (FP32, FP64, INT32, INT64, BOOL, ...),
"shape", "data" (flat, row-major)}. "errors" lists inputs that pass the
declared input types but must fail in the graph with ErrInvalidInput;
"load_error" marks a model that must fail to load with every text in the
error. The output is deterministic: rerunning the script reproduces the
committed files.
"""

import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the cross-checks are skipped
    torch = None

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240611)

DTYPES = {
    np.dtype(np.float32): ("FP32", TensorProto.FLOAT),
    np.dtype(np.float64): ("FP64", TensorProto.DOUBLE),
    np.dtype(np.int32): ("INT32", TensorProto.INT32),
    np.dtype(np.int64): ("INT64", TensorProto.INT64),
    np.dtype(np.bool_): ("BOOL", TensorProto.BOOL),
    np.dtype(np.uint8): ("UINT8", TensorProto.UINT8),
    np.dtype(np.int8): ("INT8", TensorProto.INT8),
}

CASES = []


def rand(*shape, dtype=np.float32, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def tensor_json(name, arr):
    arr = np.asarray(arr)
    dt = DTYPES[arr.dtype][0]
    flat = arr.reshape(-1)
    if arr.dtype == np.bool_:
        data = [bool(v) for v in flat]
    elif arr.dtype.kind == "f":
        # str() of a numpy float is the shortest text that round-trips.
        data = [float(str(v)) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {"name": name, "datatype": dt, "shape": list(arr.shape), "data": data}


def value_info(name, arr_or_type, shape=None):
    if shape is None:
        arr = np.asarray(arr_or_type)
        return helper.make_tensor_value_info(name, DTYPES[arr.dtype][1], list(arr.shape))
    return helper.make_tensor_value_info(name, arr_or_type, shape)


def case(name, nodes, inputs, outputs, opset=13, inits=None, input_shapes=None,
         errors=None, output_types=None):
    """Registers a test case.

    inputs and outputs are lists of (name, array); inits maps initializer
    names to arrays; input_shapes overrides declared input shapes (symbolic
    dimensions as strings); output_types overrides an output's element type.
    """
    CASES.append(dict(name=name, nodes=nodes, inputs=inputs, outputs=outputs, opset=opset,
                      inits=inits or {}, input_shapes=input_shapes or {}, errors=errors or [],
                      output_types=output_types or {}))


def write_case(c):
    inputs = []
    for name, arr in c["inputs"]:
        arr = np.asarray(arr)
        shape = c["input_shapes"].get(name, list(arr.shape))
        inputs.append(helper.make_tensor_value_info(name, DTYPES[arr.dtype][1], shape))
    outputs = []
    for name, arr in c["outputs"]:
        elem = c["output_types"].get(name, DTYPES[np.asarray(arr).dtype][1])
        # Rank only: the shape is for the engine to compute.
        outputs.append(helper.make_tensor_value_info(name, elem, [None] * np.asarray(arr).ndim))
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in sorted(c["inits"].items())]
    graph = helper.make_graph(c["nodes"], c["name"], inputs, outputs, inits)
    model = helper.make_model(graph, producer_name="inferd-gen",
                              opset_imports=[helper.make_opsetid("", c["opset"])])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, c["name"] + ".onnx"))
    doc = {
        "inputs": [tensor_json(n, a) for n, a in c["inputs"]],
        "outputs": [tensor_json(n, a) for n, a in c["outputs"]],
    }
    if c["errors"]:
        doc["errors"] = [{"inputs": [tensor_json(n, a) for n, a in e["inputs"]], "contains": e["contains"]}
                         for e in c["errors"]]
    with open(os.path.join(HERE, c["name"] + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- references

def pads_for(auto_pad, in_sizes, kernel, strides, dilations, pads, ceil_mode=False):
    """Output sizes and (begin, end) pads, as ONNX Runtime resolves them."""
    r = len(in_sizes)
    out, begin, end = [], [], []
    for i in range(r):
        span = (kernel[i] - 1) * dilations[i] + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            o = -(-in_sizes[i] // strides[i])
            total = max(0, (o - 1) * strides[i] + span - in_sizes[i])
            b = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
            out.append(o)
            begin.append(b)
            end.append(total - b)
            continue
        b, e = (pads[i], pads[r + i]) if auto_pad == "NOTSET" and pads else (0, 0)
        size = in_sizes[i] + b + e - span
        o = size // strides[i] + 1
        if ceil_mode and size % strides[i]:
            o += 1
            if (o - 1) * strides[i] >= in_sizes[i] + b:
                o -= 1
        out.append(o)
        begin.append(b)
        end.append(e)
    return out, begin, end


def conv_ref(x, w, b=None, auto_pad="NOTSET", strides=None, dilations=None, pads=None, group=1):
    r = x.ndim - 2
    strides = strides or [1] * r
    dilations = dilations or [1] * r
    kernel = list(w.shape[2:])
    out, begin, end = pads_for(auto_pad, list(x.shape[2:]), kernel, strides, dilations, pads)
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [(begin[i], end[i] + kernel[i] * dilations[i]) for i in range(r)])
    n, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    y = np.zeros([n, m] + out)
    for g in range(group):
        for oc in range(g * mg, (g + 1) * mg):
            for idx in np.ndindex(*kernel):
                sl = [slice(None), slice(g * cg, (g + 1) * cg)]
                for i in range(r):
                    start = idx[i] * dilations[i]
                    sl.append(slice(start, start + out[i] * strides[i], strides[i]))
                patch = xp[tuple(sl)]
                wv = w[oc, :, *idx].astype(np.float64).reshape([1, cg] + [1] * r)
                y[:, oc] += (patch * wv).sum(axis=1)
            if b is not None:
                y[:, oc] += b[oc]
    return y.astype(np.float32)


def pool_ref(x, kind, kernel, auto_pad="NOTSET", strides=None, dilations=None, pads=None,
             ceil_mode=False, count_include_pad=False, storage_order=0):
    """MaxPool/AveragePool as ONNX Runtime computes them; returns (y, indices)."""
    r = x.ndim - 2
    strides = strides or [1] * r
    dilations = dilations or [1] * r
    in_sizes = list(x.shape[2:])
    out, begin, end = pads_for(auto_pad, in_sizes, kernel, strides, dilations, pads, ceil_mode)
    n, c = x.shape[:2]
    y = np.zeros([n, c] + out, dtype=np.float64)
    ind = np.zeros([n, c] + out, dtype=np.int64)
    for nn in range(n):
        for cc in range(c):
            for o in np.ndindex(*out):
                starts = [o[i] * strides[i] - begin[i] for i in range(r)]
                best, arg, total, count = -np.inf, None, 0.0, 0
                for k in np.ndindex(*kernel):
                    pos = [starts[i] + k[i] * dilations[i] for i in range(r)]
                    if any(p < 0 or p >= in_sizes[i] for i, p in enumerate(pos)):
                        continue
                    v = float(x[(nn, cc) + tuple(pos)])
                    total += v
                    count += 1
                    if arg is None or v > best:
                        best, arg = v, pos
                if kind == "max":
                    y[(nn, cc) + o] = best
                    plane = (nn * c + cc) * int(np.prod(in_sizes))
                    if r == 2:
                        h, w = in_sizes
                        flat = arg[0] * w + arg[1] if storage_order == 0 else arg[1] * h + arg[0]
                    else:
                        flat = arg[0]
                    ind[(nn, cc) + o] = plane + flat
                else:
                    if count_include_pad:
                        count = 1
                        for i in range(r):
                            count *= min(starts[i] + kernel[i], in_sizes[i] + end[i]) - starts[i]
                    y[(nn, cc) + o] = total / count
    return y.astype(x.dtype), ind


def softmax_ref(x, axis, log=False, flatten=False):
    x = x.astype(np.float64)
    shape = x.shape
    if flatten:
        axis = axis % x.ndim
        x = x.reshape(int(np.prod(shape[:axis])), -1)
        axis = 1
    m = x.max(axis=axis, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(axis=axis, keepdims=True)
    y = (x - m - np.log(s)) if log else e / s
    return y.reshape(shape).astype(np.float32)


def trunc_div(a, b):
    q = np.abs(a) // np.abs(b)
    return (q * np.sign(a) * np.sign(b)).astype(a.dtype)


def cross_check_torch():
    """Checks the conv and pool references against torch where their
    semantics coincide (symmetric explicit pads)."""
    if torch is None:
        return
    x = rand(2, 4, 9, 8)
    w = rand(6, 2, 3, 2)
    b = rand(6)
    got = conv_ref(x, w, b, strides=[2, 1], dilations=[2, 1], pads=[1, 2, 1, 2], group=2)
    want = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=(2, 1), padding=(1, 2),
                    dilation=(2, 1), groups=2).numpy()
    assert np.allclose(got, want, atol=1e-5), "conv reference disagrees with torch"
    for ceil in (False, True):
        got, _ = pool_ref(x, "max", [3, 3], strides=[2, 2], pads=[1, 1, 1, 1], dilations=[1, 2], ceil_mode=ceil)
        want = F.max_pool2d(torch.tensor(x), 3, 2, 1, dilation=(1, 2), ceil_mode=ceil).numpy()
        assert np.allclose(got, want), "maxpool reference disagrees with torch"
        for cip in (False, True):
            got, _ = pool_ref(x, "avg", [3, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=ceil,
                              count_include_pad=cip)
            want = F.avg_pool2d(torch.tensor(x), (3, 2), 2, 1, ceil_mode=ceil, count_include_pad=cip).numpy()
            assert np.allclose(got, want, atol=1e-6), "avgpool reference disagrees with torch"


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, name=op.lower() + "_0", **attrs)


# ---------------------------------------------------------------- cases

def conv_cases():
    x = rand(2, 3, 7, 6)
    w, b = rand(4, 3, 3, 3), rand(4)
    case("conv_basic", [node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
         [("x", x)], [("y", conv_ref(x, w, b, pads=[1, 1, 1, 1]))], inits={"w": w, "b": b},
         input_shapes={"x": ["n", "c", "h", "w"]},
         errors=[{"inputs": [("x", rand(1, 2, 5, 5))], "contains": "Conv"}])

    x = rand(1, 2, 9, 8)
    w = rand(3, 2, 3, 2)
    attrs = dict(strides=[2, 1], dilations=[2, 1], pads=[1, 0, 2, 1])
    case("conv_strides_dilations_asym_pads", [node("Conv", ["x", "w"], ["y"], **attrs)],
         [("x", x)], [("y", conv_ref(x, w, **attrs))], inits={"w": w})

    x = rand(2, 4, 6, 5)
    w, b = rand(6, 2, 3, 3), rand(6)
    case("conv_groups", [node("Conv", ["x", "w", "b"], ["y"], group=2, pads=[1, 0, 1, 0])],
         [("x", x)], [("y", conv_ref(x, w, b, group=2, pads=[1, 0, 1, 0]))], inits={"w": w, "b": b})

    x = rand(2, 3, 5, 7)
    w, b = rand(6, 1, 3, 3), rand(6)
    attrs = dict(group=3, strides=[2, 2], pads=[1, 1, 1, 1])
    case("conv_depthwise", [node("Conv", ["x", "w", "b"], ["y"], **attrs)],
         [("x", x)], [("y", conv_ref(x, w, b, **attrs))], inits={"w": w, "b": b})

    x = rand(1, 4, 8, 7)
    w = rand(4, 1, 3, 2)
    attrs = dict(group=4, dilations=[2, 3], pads=[2, 1, 0, 3])
    case("conv_depthwise_dilated", [node("Conv", ["x", "w"], ["y"], **attrs)],
         [("x", x)], [("y", conv_ref(x, w, **attrs))], inits={"w": w})

    for mode, k in (("SAME_UPPER", [3, 3]), ("SAME_LOWER", [2, 2]), ("VALID", [3, 2])):
        x = rand(1, 2, 5, 6)
        w = rand(3, 2, *k)
        case("conv_" + mode.lower(), [node("Conv", ["x", "w"], ["y"], auto_pad=mode, strides=[2, 2])],
             [("x", x)], [("y", conv_ref(x, w, auto_pad=mode, strides=[2, 2]))], inits={"w": w})

    x = rand(2, 3, 10)
    w, b = rand(4, 3, 3), rand(4)
    attrs = dict(strides=[2], pads=[1, 2], dilations=[2])
    case("conv_1d", [node("Conv", ["x", "w", "b"], ["y"], **attrs)],
         [("x", x)], [("y", conv_ref(x, w, b, **attrs))], inits={"w": w, "b": b})

    x = rand(1, 8, 4, 5)
    w = rand(5, 8, 1, 1)
    case("conv_1x1", [node("Conv", ["x", "w"], ["y"])], [("x", x)], [("y", conv_ref(x, w))], inits={"w": w})

    # Depth 360 > the GEMM block depth; weights given at run time.
    x = rand(1, 40, 6, 6)
    w, b = rand(9, 40, 3, 3), rand(9)
    case("conv_dynamic_weights", [node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1], strides=[1, 2])],
         [("x", x), ("w", w), ("b", b)], [("y", conv_ref(x, w, b, pads=[1, 1, 1, 1], strides=[1, 2]))])

    x = rand(1, 16, 12, 12)
    w, b = rand(32, 16, 3, 3), rand(32)
    case("conv_wide", [node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
         [("x", x)], [("y", conv_ref(x, w, b, pads=[1, 1, 1, 1]))], inits={"w": w, "b": b})


def gemm_cases():
    a, b, c = rand(3, 5), rand(5, 4), rand(4)
    case("gemm_default", [node("Gemm", ["a", "b", "c"], ["y"])],
         [("a", a)], [("y", (a.astype(np.float64) @ b + c).astype(np.float32))], inits={"b": b, "c": c})

    a, b, c = rand(5, 3), rand(4, 5), rand(3, 1)
    y = 0.5 * (a.T.astype(np.float64) @ b.T) + 2.0 * c
    case("gemm_trans_alpha_beta", [node("Gemm", ["a", "b", "c"], ["y"], transA=1, transB=1, alpha=0.5, beta=2.0)],
         [("a", a), ("c", c)], [("y", y.astype(np.float32))], inits={"b": b})

    a, b = rand(7, 6), rand(5, 6)
    case("gemm_no_c_dynamic_b", [node("Gemm", ["a", "b"], ["y"], transB=1)],
         [("a", a), ("b", b)], [("y", (a.astype(np.float64) @ b.T).astype(np.float32))])

    a, b, c = rand(2, 3), rand(3, 4), rand(2, 4)
    case("gemm_opset9_full_c", [node("Gemm", ["a", "b", "c"], ["y"], beta=-1.0)],
         [("a", a), ("b", b), ("c", c)], [("y", (a.astype(np.float64) @ b - c).astype(np.float32))], opset=9)

    a, b, c = rand(2, 4), rand(4, 3), np.array(0.25, dtype=np.float32)
    bad = rand(2, 5)
    case("gemm_scalar_c_symbolic", [node("Gemm", ["a", "b", "c"], ["y"])],
         [("a", a)], [("y", (a.astype(np.float64) @ b + c).astype(np.float32))], inits={"b": b, "c": c},
         input_shapes={"a": ["batch", "k"]},
         errors=[{"inputs": [("a", bad)], "contains": "Gemm"}])


def matmul_cases():
    def mm(a, b):
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)

    a, b = rand(3, 4), rand(4, 5)
    case("matmul_2d", [node("MatMul", ["a", "b"], ["y"])], [("a", a), ("b", b)], [("y", mm(a, b))])
    a, b = rand(2, 1, 3, 4), rand(3, 4, 5)
    case("matmul_batched_broadcast", [node("MatMul", ["a", "b"], ["y"])], [("a", a), ("b", b)], [("y", mm(a, b))])
    a, b = rand(4), rand(2, 4, 3)
    case("matmul_1d_a", [node("MatMul", ["a", "b"], ["y"])], [("a", a), ("b", b)], [("y", mm(a, b))])
    a, b = rand(2, 3, 4), rand(4)
    case("matmul_1d_b", [node("MatMul", ["a", "b"], ["y"])], [("a", a), ("b", b)], [("y", mm(a, b))])
    a, b = rand(6), rand(6)
    case("matmul_1d_both", [node("MatMul", ["a", "b"], ["y"])], [("a", a), ("b", b)], [("y", np.array(mm(a, b)))])
    a, b = rand(2, 3, 70), rand(70, 9)
    case("matmul_const_b", [node("MatMul", ["a", "b"], ["y"])], [("a", a)], [("y", mm(a, b))], inits={"b": b})


def activation_cases():
    x = rand(2, 3, 4, lo=-3, hi=3)
    x64 = rand(3, 5, dtype=np.float64, lo=-3, hi=3)
    case("relu", [node("Relu", ["x"], ["y"])], [("x", x)], [("y", np.maximum(x, 0))])
    case("leaky_relu", [node("LeakyRelu", ["x"], ["y"], alpha=0.1)], [("x", x)],
         [("y", np.where(x < 0, x * np.float32(0.1), x).astype(np.float32))])
    case("sigmoid", [node("Sigmoid", ["x"], ["y"])], [("x", x)],
         [("y", (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32))])
    case("tanh_f64", [node("Tanh", ["x"], ["y"])], [("x", x64)], [("y", np.tanh(x64))])
    case("hard_sigmoid", [node("HardSigmoid", ["x"], ["y"], alpha=0.3, beta=0.4)], [("x", x)],
         [("y", np.clip(0.3 * x.astype(np.float64) + 0.4, 0, 1).astype(np.float32))])
    case("hard_swish", [node("HardSwish", ["x"], ["y"])], [("x", x)],
         [("y", (x * np.clip(x.astype(np.float64) / 6 + 0.5, 0, 1)).astype(np.float32))], opset=14)
    lo, hi = np.array(-0.5, dtype=np.float32), np.array(1.25, dtype=np.float32)
    case("clip_inputs", [node("Clip", ["x", "lo", "hi"], ["y"])], [("x", x), ("hi", hi)],
         [("y", np.clip(x, lo, hi))], inits={"lo": lo})
    case("clip_max_only", [node("Clip", ["x", "", "hi"], ["y"])], [("x", x)],
         [("y", np.minimum(x, hi))], inits={"hi": hi})
    case("clip_opset7_attrs", [node("Clip", ["x"], ["y"], min=-1.0, max=0.5)], [("x", x)],
         [("y", np.clip(x, -1.0, 0.5))], opset=7)
    xi = RNG.integers(-10, 10, size=(3, 4)).astype(np.int64)
    case("clip_int64", [node("Clip", ["x", "lo", "hi"], ["y"])], [("x", xi)],
         [("y", np.clip(xi, -3, 4))], inits={"lo": np.array(-3, dtype=np.int64), "hi": np.array(4, dtype=np.int64)})

    x = rand(2, 3, 4, lo=-3, hi=3)
    case("softmax_axis1", [node("Softmax", ["x"], ["y"], axis=1)], [("x", x)], [("y", softmax_ref(x, 1))])
    case("softmax_default", [node("Softmax", ["x"], ["y"])], [("x", x)], [("y", softmax_ref(x, -1))])
    case("softmax_opset11_flatten", [node("Softmax", ["x"], ["y"], axis=1)], [("x", x)],
         [("y", softmax_ref(x, 1, flatten=True))], opset=11)
    case("logsoftmax_default", [node("LogSoftmax", ["x"], ["y"])], [("x", x)], [("y", softmax_ref(x, -1, log=True))])
    case("logsoftmax_opset11_default", [node("LogSoftmax", ["x"], ["y"])], [("x", x)],
         [("y", softmax_ref(x, 1, log=True, flatten=True))], opset=11)


def pool_cases():
    x = rand(2, 3, 7, 8)
    y, _ = pool_ref(x, "max", [2, 2], strides=[2, 2])
    case("maxpool_basic", [node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])], [("x", x)], [("y", y)])
    attrs = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 2], ceil_mode=1)
    y, _ = pool_ref(x, "max", [3, 3], strides=[2, 2], pads=[1, 0, 1, 2], ceil_mode=True)
    case("maxpool_pads_ceil", [node("MaxPool", ["x"], ["y"], **attrs)], [("x", x)], [("y", y)])
    y, _ = pool_ref(x, "max", [2, 3], strides=[1, 2], dilations=[2, 2], pads=[1, 1, 1, 1])
    case("maxpool_dilations", [node("MaxPool", ["x"], ["y"], kernel_shape=[2, 3], strides=[1, 2], dilations=[2, 2],
                                    pads=[1, 1, 1, 1])], [("x", x)], [("y", y)])
    y, _ = pool_ref(x, "max", [3, 2], auto_pad="SAME_UPPER", strides=[2, 3])
    case("maxpool_same_upper", [node("MaxPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 3], auto_pad="SAME_UPPER")],
         [("x", x)], [("y", y)])
    for order in (0, 1):
        y, ind = pool_ref(x, "max", [3, 3], strides=[2, 2], pads=[1, 1, 1, 1], storage_order=order)
        case("maxpool_indices_order%d" % order,
             [node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                   storage_order=order)], [("x", x)], [("y", y), ("i", ind)])
    x1 = rand(2, 3, 11)
    y, _ = pool_ref(x1, "max", [3], strides=[2], pads=[1, 1])
    case("maxpool_1d", [node("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2], pads=[1, 1])], [("x", x1)], [("y", y)])
    for cip in (0, 1):
        attrs = dict(kernel_shape=[3, 2], strides=[2, 2], pads=[1, 1, 2, 0], count_include_pad=cip)
        y, _ = pool_ref(x, "avg", [3, 2], strides=[2, 2], pads=[1, 1, 2, 0], count_include_pad=cip)
        case("avgpool_pads_include%d" % cip, [node("AveragePool", ["x"], ["y"], **attrs)], [("x", x)], [("y", y)])
    attrs = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    y, _ = pool_ref(x, "avg", [3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=True, count_include_pad=True)
    case("avgpool_ceil_include", [node("AveragePool", ["x"], ["y"], **attrs)], [("x", x)], [("y", y)])
    y, _ = pool_ref(x, "avg", [2, 2], auto_pad="SAME_LOWER", strides=[1, 1])
    case("avgpool_same_lower", [node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], auto_pad="SAME_LOWER")],
         [("x", x)], [("y", y)])
    y, _ = pool_ref(x1, "avg", [4], strides=[3])
    case("avgpool_1d", [node("AveragePool", ["x"], ["y"], kernel_shape=[4], strides=[3])], [("x", x1)], [("y", y)])
    case("global_avgpool", [node("GlobalAveragePool", ["x"], ["y"])], [("x", x)],
         [("y", x.astype(np.float64).mean(axis=(2, 3), keepdims=True).astype(np.float32))])
    case("global_maxpool", [node("GlobalMaxPool", ["x"], ["y"])], [("x", x)], [("y", x.max(axis=(2, 3), keepdims=True))])


def batchnorm_cases():
    x = rand(2, 3, 4, 5)
    s, b, m, v = rand(3), rand(3), rand(3), rand(3, lo=0.1, hi=2)
    def bn(x, s, b, m, v, eps):
        sh = [1, -1] + [1] * (x.ndim - 2)
        y = (x.astype(np.float64) - m.reshape(sh)) / np.sqrt(v.reshape(sh).astype(np.float64) + eps) * s.reshape(sh) + b.reshape(sh)
        return y.astype(np.float32)
    case("batchnorm", [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
         [("x", x)], [("y", bn(x, s, b, m, v, 1e-3))], inits={"s": s, "b": b, "m": m, "v": v}, opset=15)
    x2 = rand(4, 3)
    case("batchnorm_2d_dynamic_opset9", [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
         [("x", x2), ("s", s), ("b", b), ("m", m), ("v", v)], [("y", bn(x2, s, b, m, v, 1e-5))], opset=9)


def shape_cases():
    x = rand(2, 3, 4, 5)
    for axis in (0, 2, -1):
        y = x.reshape(int(np.prod(x.shape[:axis % 4])), -1)
        case("flatten_axis%s" % str(axis).replace("-", "m"), [node("Flatten", ["x"], ["y"], axis=axis)],
             [("x", x)], [("y", y)])
    shape = np.array([0, -1, 5], dtype=np.int64)
    case("reshape_zero_minus1", [node("Reshape", ["x", "s"], ["y"])], [("x", x)], [("y", x.reshape(2, 12, 5))],
         inits={"s": shape})
    case("reshape_dynamic_shape", [node("Reshape", ["x", "s"], ["y"])],
         [("x", x), ("s", np.array([-1, 4], dtype=np.int64))], [("y", x.reshape(-1, 4))])
    z = np.zeros((0, 3), dtype=np.float32)
    case("reshape_allowzero", [node("Reshape", ["x", "s"], ["y"], allowzero=1)], [("x", z)],
         [("y", z.reshape(3, 0))], inits={"s": np.array([3, 0], dtype=np.int64)}, opset=14)
    case("transpose_default", [node("Transpose", ["x"], ["y"])], [("x", x)], [("y", x.transpose())])
    case("transpose_perm", [node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], [("x", x)],
         [("y", x.transpose(0, 2, 3, 1))])
    xi = RNG.integers(-100, 100, size=(3, 2, 4)).astype(np.int64)
    case("transpose_int64", [node("Transpose", ["x"], ["y"], perm=[2, 0, 1])], [("x", xi)], [("y", xi.transpose(2, 0, 1))])
    a, b, c = rand(2, 1, 3), rand(2, 4, 3), rand(2, 2, 3)
    case("concat_axis1", [node("Concat", ["a", "b", "c"], ["y"], axis=1)], [("a", a), ("b", b), ("c", c)],
         [("y", np.concatenate([a, b, c], axis=1))])
    ai, bi = xi[:, :, :2], xi[:, :, 1:]
    case("concat_int64_neg_axis", [node("Concat", ["a", "b"], ["y"], axis=-1)], [("a", ai.copy()), ("b", bi.copy())],
         [("y", np.concatenate([ai, bi], axis=-1))])
    s = rand(1, 3, 1, 4)
    case("squeeze_opset11_attr", [node("Squeeze", ["x"], ["y"], axes=[0, -2])], [("x", s)], [("y", s.reshape(3, 4))], opset=11)
    case("squeeze_opset13_input", [node("Squeeze", ["x", "a"], ["y"])], [("x", s)], [("y", s.reshape(1, 3, 4))],
         inits={"a": np.array([2], dtype=np.int64)})
    case("squeeze_all", [node("Squeeze", ["x"], ["y"])], [("x", s)], [("y", s.reshape(3, 4))])
    u = rand(3, 4)
    case("unsqueeze_opset11_attr", [node("Unsqueeze", ["x"], ["y"], axes=[0, 3])], [("x", u)],
         [("y", u.reshape(1, 3, 4, 1))], opset=11)
    case("unsqueeze_opset13_neg", [node("Unsqueeze", ["x", "a"], ["y"])], [("x", u)],
         [("y", u.reshape(3, 1, 4, 1))], inits={"a": np.array([-1, 1], dtype=np.int64)})
    case("shape", [node("Shape", ["x"], ["y"])], [("x", x)], [("y", np.array(x.shape, dtype=np.int64))])
    case("shape_opset15_slice", [node("Shape", ["x"], ["y"], start=1, end=-1)], [("x", x)],
         [("y", np.array(x.shape[1:-1], dtype=np.int64))], opset=15)
    d = rand(5, 4)
    idx = np.array([[0, -1], [3, 1], [-5, 2]], dtype=np.int64)
    case("gather_axis0_negative", [node("Gather", ["d", "i"], ["y"])], [("d", d), ("i", idx)], [("y", np.take(d, idx, axis=0))],
         errors=[{"inputs": [("d", d), ("i", np.array([[0, 5], [1, 1], [2, 2]], dtype=np.int64))], "contains": "out of range"}])
    di = RNG.integers(0, 1000, size=(2, 6, 3)).astype(np.int64)
    idx32 = np.array([5, 0, -2], dtype=np.int32)
    case("gather_int64_axis1", [node("Gather", ["d", "i"], ["y"], axis=1)], [("d", di)], [("y", np.take(di, idx32, axis=1))],
         inits={"i": idx32})


def misc_cases():
    x = rand(2, 3)
    case("identity", [node("Identity", ["x"], ["y"])], [("x", x)], [("y", x)])
    case("dropout_mask", [node("Dropout", ["x"], ["y", "m"])], [("x", x)], [("y", x), ("m", np.ones(x.shape, dtype=bool))])
    case("dropout_opset7", [node("Dropout", ["x"], ["y"], ratio=0.3)], [("x", x)], [("y", x)], opset=7)
    cval = rand(2, 3)
    case("constant_tensor", [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(cval)),
                             node("Add", ["x", "c"], ["y"])], [("x", x)], [("y", x + cval)])
    case("constant_value_float", [helper.make_node("Constant", [], ["c"], value_float=2.5),
                                  node("Mul", ["x", "c"], ["y"])], [("x", x)], [("y", x * np.float32(2.5))])
    case("constant_value_ints", [helper.make_node("Constant", [], ["c"], value_ints=[3, 2]),
                                 node("Reshape", ["x", "c"], ["y"])], [("x", x)], [("y", x.reshape(3, 2))])

    # The shape arithmetic PyTorch exports around Reshape, with a symbolic
    # batch dimension: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    x = rand(3, 2, 2, 3)
    nodes = [
        node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Relu", ["flat"], ["y"]),
    ]
    case("torch_flatten_pattern", nodes, [("x", x)], [("y", np.maximum(x.reshape(3, -1), 0))],
         inits={"zero": np.array(0, dtype=np.int64), "axes0": np.array([0], dtype=np.int64),
                "minus1": np.array([-1], dtype=np.int64)}, input_shapes={"x": ["N", 2, 2, 3]})


def arith_cases():
    a, b = rand(2, 3, 4), rand(3, 1)
    a64, b64 = rand(2, 3, dtype=np.float64), rand(3, dtype=np.float64)
    ai = RNG.integers(-20, 20, size=(2, 3)).astype(np.int32)
    bi = RNG.integers(1, 5, size=(3,)).astype(np.int32)
    al = RNG.integers(-50, 50, size=(4, 1)).astype(np.int64)
    bl = np.array([[3, -4, 7]], dtype=np.int64)
    for op, f in (("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply), ("Div", np.divide)):
        name = op.lower()
        case(name + "_broadcast", [node(op, ["a", "b"], ["y"])], [("a", a), ("b", b)], [("y", f(a, b).astype(np.float32))])
        case(name + "_f64", [node(op, ["a", "b"], ["y"])], [("a", a64), ("b", b64)], [("y", f(a64, b64))])
        g = trunc_div if op == "Div" else f
        case(name + "_int32", [node(op, ["a", "b"], ["y"])], [("a", ai), ("b", bi)], [("y", g(ai, bi).astype(np.int32))])
        case(name + "_int64_outer", [node(op, ["a", "b"], ["y"])], [("a", al), ("b", bl)], [("y", g(al, bl).astype(np.int64))])
    s = np.array(1.5, dtype=np.float32)
    case("mul_scalar_first", [node("Mul", ["s", "a"], ["y"])], [("s", s), ("a", a)], [("y", s * a)])

    x = rand(2, 3, lo=0.1, hi=3)
    xn = rand(2, 3, lo=-3, hi=3)
    case("sqrt", [node("Sqrt", ["x"], ["y"])], [("x", x)], [("y", np.sqrt(x))])
    case("exp", [node("Exp", ["x"], ["y"])], [("x", xn)], [("y", np.exp(xn.astype(np.float64)).astype(np.float32))])
    case("log", [node("Log", ["x"], ["y"])], [("x", x)], [("y", np.log(x.astype(np.float64)).astype(np.float32))])
    case("neg", [node("Neg", ["x"], ["y"])], [("x", xn)], [("y", -xn)])
    case("neg_int32", [node("Neg", ["x"], ["y"])], [("x", ai)], [("y", -ai)])
    case("abs", [node("Abs", ["x"], ["y"])], [("x", xn)], [("y", np.abs(xn))])
    case("abs_int64", [node("Abs", ["x"], ["y"])], [("x", al)], [("y", np.abs(al))])
    erf = np.vectorize(math.erf)
    case("erf", [node("Erf", ["x"], ["y"])], [("x", xn)], [("y", erf(xn.astype(np.float64)).astype(np.float32))])
    e = rand(3, lo=-2, hi=2)
    case("pow_broadcast", [node("Pow", ["x", "e"], ["y"])], [("x", x), ("e", e)],
         [("y", np.power(x.astype(np.float64), e).astype(np.float32))])
    case("pow_int64_exponent", [node("Pow", ["x", "e"], ["y"])], [("x", xn)],
         [("y", np.power(xn.astype(np.float64), 3).astype(np.float32))], inits={"e": np.array(3, dtype=np.int64)})
    case("pow_square", [node("Pow", ["x", "e"], ["y"])], [("x", xn)], [("y", xn * xn)],
         inits={"e": np.array(2, dtype=np.float32)})
    case("pow_int32", [node("Pow", ["x", "e"], ["y"])], [("x", ai)], [("y", np.power(ai, 2).astype(np.int32))],
         inits={"e": np.array([2], dtype=np.int32)})


def cast_cases():
    x = rand(2, 5, lo=-4, hi=4)
    x[0, 0] = 0
    case("cast_float_int32", [node("Cast", ["x"], ["y"], to=TensorProto.INT32)], [("x", x)], [("y", np.trunc(x).astype(np.int32))])
    case("cast_float_bool", [node("Cast", ["x"], ["y"], to=TensorProto.BOOL)], [("x", x)], [("y", x != 0)])
    bl = np.array([[True, False, True]])
    case("cast_bool_float", [node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], [("x", bl)], [("y", bl.astype(np.float32))])
    il = np.array([[-3, 0, 7, 1 << 40]], dtype=np.int64)
    case("cast_int64_double", [node("Cast", ["x"], ["y"], to=TensorProto.DOUBLE)], [("x", il)], [("y", il.astype(np.float64))])
    case("cast_int64_uint8", [node("Cast", ["x"], ["y"], to=TensorProto.UINT8)], [("x", np.array([[3, 255, 0]], dtype=np.int64))],
         [("y", np.array([[3, 255, 0]], dtype=np.uint8))])
    case("cast_float16_roundtrip", [node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16),
                                    helper.make_node("Cast", ["h"], ["y"], to=TensorProto.FLOAT)],
         [("x", x)], [("y", x.astype(np.float16).astype(np.float32))])


def data_movement_cases():
    x = rand(3, 4, 5)
    i64 = lambda *v: np.array(v, dtype=np.int64)
    case("slice_steps_negative", [node("Slice", ["x", "s", "e", "a", "st"], ["y"])], [("x", x)],
         [("y", x[:, ::-2, 1:4])], inits={"s": i64(-1, 1), "e": i64(-100, 4), "a": i64(1, -1), "st": i64(-2, 1)})
    case("slice_default_axes_clamped", [node("Slice", ["x", "s", "e"], ["y"])], [("x", x)],
         [("y", x[1:9223372036854775807, 0:4, -3:5])], inits={"s": i64(1, 0, -3), "e": i64(9223372036854775807, 4, 5)})
    case("slice_opset9_attrs", [node("Slice", ["x"], ["y"], starts=[0, 1], ends=[2, -1], axes=[0, 2])], [("x", x)],
         [("y", x[0:2, :, 1:-1])], opset=9)
    case("slice_dynamic_int32", [node("Slice", ["x", "s", "e"], ["y"])],
         [("x", x), ("s", np.array([2], dtype=np.int32)), ("e", np.array([3], dtype=np.int32))], [("y", x[2:3])])
    case("split_equal", [node("Split", ["x"], ["a", "b"], axis=1)], [("x", x)], [("a", x[:, :2]), ("b", x[:, 2:])])
    case("split_sizes_input", [node("Split", ["x", "sp"], ["a", "b", "c"], axis=-1)], [("x", x)],
         [("a", x[..., :1]), ("b", x[..., 1:4]), ("c", x[..., 4:])], inits={"sp": i64(1, 3, 1)})
    case("split_opset11_attr", [node("Split", ["x"], ["a", "b"], axis=0, split=[1, 2])], [("x", x)],
         [("a", x[:1]), ("b", x[1:])], opset=11)
    p = rand(2, 3, 4)
    pads = [0, 1, 2, 1, 2, 3]  # begins then ends
    width = [(pads[i], pads[i + 3]) for i in range(3)]
    case("pad_constant", [node("Pad", ["x", "p", "v"], ["y"])], [("x", p)],
         [("y", np.pad(p, width, constant_values=1.5))], inits={"p": i64(*pads), "v": np.array(1.5, dtype=np.float32)})
    case("pad_reflect", [node("Pad", ["x", "p"], ["y"], mode="reflect")], [("x", p)],
         [("y", np.pad(p, [(0, 0), (1, 2), (2, 3)], mode="reflect"))], inits={"p": i64(0, 1, 2, 0, 2, 3)})
    case("pad_edge_crop", [node("Pad", ["x", "p"], ["y"], mode="edge")], [("x", p)],
         [("y", np.pad(p, [(0, 0), (2, 0), (0, 3)], mode="edge")[:, :, 1:])], inits={"p": i64(0, 2, -1, 0, 0, 3)})
    case("pad_opset7_attrs", [node("Pad", ["x"], ["y"], pads=[1, 0, 0, 0, 0, 2], value=-2.0)], [("x", p)],
         [("y", np.pad(p, [(1, 0), (0, 0), (0, 2)], constant_values=-2.0))], opset=7)
    pi = RNG.integers(-5, 5, size=(2, 3)).astype(np.int64)
    case("pad_int64", [node("Pad", ["x", "p"], ["y"])], [("x", pi)], [("y", np.pad(pi, [(1, 1), (0, 2)]))],
         inits={"p": i64(1, 0, 1, 2)})


def reduce_cases():
    x = rand(3, 4, 5, lo=0.1, hi=2)
    i64 = lambda *v: np.array(v, dtype=np.int64)
    f64 = lambda a: a.astype(np.float64)
    refs = {
        "ReduceMean": lambda a, ax, kd: f64(a).mean(axis=ax, keepdims=kd),
        "ReduceMax": lambda a, ax, kd: a.max(axis=ax, keepdims=kd),
        "ReduceMin": lambda a, ax, kd: a.min(axis=ax, keepdims=kd),
        "ReduceProd": lambda a, ax, kd: f64(a).prod(axis=ax, keepdims=kd),
        "ReduceSumSquare": lambda a, ax, kd: (f64(a) ** 2).sum(axis=ax, keepdims=kd),
        "ReduceL1": lambda a, ax, kd: np.abs(f64(a)).sum(axis=ax, keepdims=kd),
        "ReduceL2": lambda a, ax, kd: np.sqrt((f64(a) ** 2).sum(axis=ax, keepdims=kd)),
        "ReduceLogSumExp": lambda a, ax, kd: np.log(np.exp(f64(a)).sum(axis=ax, keepdims=kd)),
    }
    for op, f in refs.items():
        case(op.lower() + "_axes", [node(op, ["x"], ["y"], axes=[0, -1], keepdims=1)], [("x", x)],
             [("y", f(x, (0, 2), True).astype(np.float32))])
    case("reducemean_all_nokeep", [node("ReduceMean", ["x"], ["y"], keepdims=0)], [("x", x)],
         [("y", np.array(f64(x).mean(), dtype=np.float32))])
    case("reducesum_axes_input", [node("ReduceSum", ["x", "a"], ["y"], keepdims=0)], [("x", x)],
         [("y", f64(x).sum(axis=1).astype(np.float32))], inits={"a": i64(1)})
    case("reducesum_noop_empty", [node("ReduceSum", ["x"], ["y"], noop_with_empty_axes=1)], [("x", x)], [("y", x)])
    case("reducesum_opset11_attr", [node("ReduceSum", ["x"], ["y"], axes=[2])], [("x", x)],
         [("y", f64(x).sum(axis=2, keepdims=True).astype(np.float32))], opset=11)
    xi = RNG.integers(-9, 9, size=(4, 3)).astype(np.int64)
    case("reducemax_int64", [node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0)], [("x", xi)], [("y", xi.max(axis=1))])
    xa = np.array([[1, 5, 5, 2], [7, 7, 0, 7], [3, 1, 1, 9]], dtype=np.float32)
    case("argmax", [node("ArgMax", ["x"], ["y"], axis=1)], [("x", xa)], [("y", xa.argmax(axis=1)[:, None])])
    case("argmax_last_nokeep", [node("ArgMax", ["x"], ["y"], axis=-1, keepdims=0, select_last_index=1)], [("x", xa)],
         [("y", np.array([2, 3, 3], dtype=np.int64))])
    case("argmin_axis0", [node("ArgMin", ["x"], ["y"], axis=0, keepdims=0)], [("x", xa)], [("y", xa.argmin(axis=0))])


def model_cases():
    """The shapes of the example models: a small CNN and an MLP."""
    x = rand(3, 1, 8, 8, lo=0, hi=1)
    w1, b1 = rand(8, 1, 3, 3, lo=-0.5, hi=0.5), rand(8, lo=-0.1, hi=0.1)
    w2, b2 = rand(16, 8, 3, 3, lo=-0.3, hi=0.3), rand(16, lo=-0.1, hi=0.1)
    fw, fb = rand(32, 16 * 4 * 4, lo=-0.1, hi=0.1), rand(32, lo=-0.1, hi=0.1)
    ow, ob = rand(10, 32, lo=-0.3, hi=0.3), rand(10, lo=-0.1, hi=0.1)
    h = np.maximum(conv_ref(x, w1, b1, pads=[1, 1, 1, 1]), 0)
    h = np.maximum(conv_ref(h, w2, b2, pads=[1, 1, 1, 1]), 0)
    h, _ = pool_ref(h, "max", [2, 2], strides=[2, 2])
    h = h.reshape(3, -1).astype(np.float64)
    h = np.maximum(h @ fw.T + fb, 0)
    y = (h @ ow.T + ob).astype(np.float32)
    nodes = [
        node("Conv", ["input", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        node("MaxPool", ["r2"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Flatten", ["p"], ["f"], axis=1),
        node("Gemm", ["f", "fw", "fb"], ["g1"], transB=1),
        helper.make_node("Relu", ["g1"], ["r3"]),
        helper.make_node("Gemm", ["r3", "ow", "ob"], ["logits"], transB=1),
    ]
    case("model_cnn", nodes, [("input", x)], [("logits", y)],
         inits={"w1": w1, "b1": b1, "w2": w2, "b2": b2, "fw": fw, "fb": fb, "ow": ow, "ob": ob},
         input_shapes={"input": ["batch", 1, 8, 8]})

    x = rand(4, 1, 8, 8, lo=0, hi=1)
    w1, b1 = rand(64, 48, lo=-0.2, hi=0.2), rand(48, lo=-0.1, hi=0.1)
    w2, b2 = rand(48, 10, lo=-0.2, hi=0.2), rand(10, lo=-0.1, hi=0.1)
    h = np.maximum(x.reshape(4, -1).astype(np.float64) @ w1 + b1, 0)
    y = (h @ w2 + b2).astype(np.float32)
    nodes = [
        node("Flatten", ["input"], ["f"]),
        helper.make_node("Gemm", ["f", "w1", "b1"], ["g1"]),
        helper.make_node("Relu", ["g1"], ["r1"]),
        helper.make_node("Gemm", ["r1", "w2", "b2"], ["logits"]),
    ]
    case("model_mlp", nodes, [("input", x)], [("logits", y)],
         inits={"w1": w1, "b1": b1, "w2": w2, "b2": b2}, input_shapes={"input": ["batch", 1, 8, 8]})


def write_unsupported():
    """A model with two operators no engine implements, in one file."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="ok"),
        helper.make_node("FooOp", ["a"], ["b"], name="first_unsupported", domain="inferd.test"),
        helper.make_node("BarOp", ["b"], ["y"], name="second_unsupported", domain="inferd.test"),
    ]
    graph = helper.make_graph(nodes, "unsupported", [x], [y])
    model = helper.make_model(graph, producer_name="inferd-gen",
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("inferd.test", 1)])
    model.ir_version = 8
    onnx.save(model, os.path.join(HERE, "unsupported_ops.onnx"))
    with open(os.path.join(HERE, "unsupported_ops.json"), "w") as f:
        json.dump({"load_error": ["unsupported", "FooOp", "BarOp", "first_unsupported", "second_unsupported"]}, f)
        f.write("\n")


def main():
    cross_check_torch()
    for f in os.listdir(HERE):
        if f.endswith(".onnx") or f.endswith(".json"):
            os.remove(os.path.join(HERE, f))
    conv_cases()
    gemm_cases()
    matmul_cases()
    activation_cases()
    pool_cases()
    batchnorm_cases()
    shape_cases()
    misc_cases()
    arith_cases()
    cast_cases()
    data_movement_cases()
    reduce_cases()
    model_cases()
    for c in CASES:
        write_case(c)
    write_unsupported()
    print("wrote %d cases" % (len(CASES) + 1))


if __name__ == "__main__":
    main()
