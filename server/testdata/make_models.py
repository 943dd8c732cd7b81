#!/usr/bin/env python3
"""Writes the small ONNX models the protocol tests serve (python3-onnx 1.12).

models/echo: one input per datatype, each passed through Identity, so that
every protocol and encoding can be checked for every datatype.
models/regress: y = x @ w + b, [N, 3] -> [N, 1], for TF Serving's :regress.

Run from this directory: python3 make_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TYPES = [
    ("b", TensorProto.BOOL), ("u8", TensorProto.UINT8), ("u16", TensorProto.UINT16),
    ("u32", TensorProto.UINT32), ("u64", TensorProto.UINT64), ("i8", TensorProto.INT8),
    ("i16", TensorProto.INT16), ("i32", TensorProto.INT32), ("i64", TensorProto.INT64),
    ("f16", TensorProto.FLOAT16), ("f32", TensorProto.FLOAT), ("f64", TensorProto.DOUBLE),
    ("s", TensorProto.STRING),
]


def save(model, name):
    onnx.checker.check_model(model)
    os.makedirs(os.path.join("models", name, "1"), exist_ok=True)
    with open(os.path.join("models", name, "1", "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def echo():
    inputs, outputs, nodes = [], [], []
    for name, t in TYPES:
        out = name + "_bytes" if t == TensorProto.STRING else name + "_out"
        inputs.append(helper.make_tensor_value_info(name, t, ["N", 2]))
        outputs.append(helper.make_tensor_value_info(out, t, ["N", 2]))
        nodes.append(helper.make_node("Identity", [name], [out]))
    graph = helper.make_graph(nodes, "echo", inputs, outputs)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_models.py"), "echo")


def regress():
    w = numpy_helper.from_array(np.array([[0.5], [-1.0], [2.0]], dtype=np.float32), "w")
    b = numpy_helper.from_array(np.array([0.25], dtype=np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"])], "regress",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [w, b])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_models.py"), "regress")


if __name__ == "__main__":
    echo()
    regress()
