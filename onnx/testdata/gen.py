#!/usr/bin/python3
"""Generates the ONNX fixtures of the onnx package's tests.

Run from anywhere with /usr/bin/python3 (Debian's python3-onnx 1.12):

    /usr/bin/python3 onnx/testdata/gen.py

It writes, next to this script:
  tiny.onnx        a small MLP: MatMul, Add, Relu, with metadata, value_info
                   and an initializer that is also a graph input
  dtypes.onnx      one initializer per data type, both as raw_data and as
                   the typed repeated field, each passed through Identity
  dtypes.json      the values numpy_helper decodes for those initializers
                   (float16 as its bit pattern), the oracle for the Go test
  control.onnx     If and Loop subgraphs reading outer-scope values, a
                   sparse initializer, a sparse Constant, an Optional with a
                   TYPE_PROTO attribute, sequence/map/optional value types
  external.onnx    a model whose initializer lives in external.bin
The Go tests only read these files; Python is not needed to run them.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
T = TensorProto


def save(model, name, **kw):
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(HERE, name), **kw)


def tiny():
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, "W")
    b = numpy_helper.from_array(np.array([0.5, -1.0, 2.0], dtype=np.float32), "B")
    scale = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "scale")
    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["xw"], name="matmul"),
        helper.make_node("Add", ["xw", "B"], ["xwb"], name="add"),
        helper.make_node("Mul", ["xwb", "scale"], ["scaled"], name="mul"),
        helper.make_node("Relu", ["scaled"], ["Y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        inputs=[helper.make_tensor_value_info("X", T.FLOAT, ["N", 4]),
                helper.make_tensor_value_info("scale", T.FLOAT, [])],
        outputs=[helper.make_tensor_value_info("Y", T.FLOAT, ["N", 3])],
        initializer=[w, b, scale],
        value_info=[helper.make_tensor_value_info("xw", T.FLOAT, ["N", 3])],
        doc_string="a tiny MLP")
    model = helper.make_model(graph, producer_name="inferd-gen", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.model_version = 7
    helper.set_model_props(model, {"author": "inferd", "license": "Apache-2.0"})
    save(model, "tiny.onnx")


# (name, onnx type, numpy type, values)
DTYPES = [
    ("float", T.FLOAT, np.float32, [1.5, -2.25, 0.0, 3.0e10, -1e-20, 7.0]),
    ("double", T.DOUBLE, np.float64, [1.0 / 3, -2.5, 0.0, 1e300, -4.0, 5.5]),
    ("float16", T.FLOAT16, np.float16, [1.0, -2.0, 0.5, 65504.0, -0.099975586, 0.0]),
    ("int8", T.INT8, np.int8, [-128, 127, 0, -1, 5, 6]),
    ("int16", T.INT16, np.int16, [-32768, 32767, 0, -1, 5, 6]),
    ("int32", T.INT32, np.int32, [-2**31, 2**31 - 1, 0, -1, 5, 6]),
    ("int64", T.INT64, np.int64, [-2**63, 2**63 - 1, 0, -1, 5, 6]),
    ("uint8", T.UINT8, np.uint8, [0, 255, 1, 2, 3, 4]),
    ("uint16", T.UINT16, np.uint16, [0, 65535, 1, 2, 3, 4]),
    ("uint32", T.UINT32, np.uint32, [0, 2**32 - 1, 1, 2, 3, 4]),
    ("uint64", T.UINT64, np.uint64, [0, 2**64 - 1, 1, 2, 3, 4]),
    ("bool", T.BOOL, np.bool_, [True, False, True, True, False, False]),
    ("string", T.STRING, object, ["a", "", "héllo", "x y", "5", "six"]),
    # Values exactly representable in bfloat16.
    ("bfloat16", T.BFLOAT16, np.float32, [1.5, -2.0, 0.25, 3.0, -0.0078125, 256.0]),
]


def expected(t, onnx_type, values):
    if onnx_type == T.BFLOAT16:
        return [float(v) for v in values]  # numpy_helper 1.12 cannot decode raw bfloat16
    arr = numpy_helper.to_array(t).flatten()
    if onnx_type == T.FLOAT16:
        return arr.view(np.uint16).tolist()
    if onnx_type == T.STRING:
        return [v.decode() if isinstance(v, bytes) else v for v in arr.tolist()]
    return arr.tolist()


def dtypes():
    inits, nodes, outputs, golden = [], [], [], {}
    for name, onnx_type, np_type, values in DTYPES:
        for raw in (False, True):
            if raw and onnx_type == T.STRING:
                continue
            tname = f"{name}_{'raw' if raw else 'typed'}"
            if raw and onnx_type == T.BFLOAT16:
                bits = (np.array(values, dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
                t = helper.make_tensor(tname, onnx_type, [2, 3], bits.tobytes(), raw=True)
            elif raw:
                arr = np.array(values, dtype=np_type)
                t = helper.make_tensor(tname, onnx_type, [2, 3],
                                       arr.astype(arr.dtype.newbyteorder("<")).tobytes(), raw=True)
            elif onnx_type == T.STRING:
                t = helper.make_tensor(tname, onnx_type, [2, 3], [v.encode() for v in values])
            else:
                t = helper.make_tensor(tname, onnx_type, [2, 3], values)
            inits.append(t)
            nodes.append(helper.make_node("Identity", [tname], [tname + "_out"]))
            outputs.append(helper.make_tensor_value_info(tname + "_out", onnx_type, [2, 3]))
            golden[tname] = {"dims": [2, 3], "values": expected(t, onnx_type, values)}
    graph = helper.make_graph(nodes, "dtypes", [], outputs, initializer=inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]), "dtypes.onnx")
    with open(os.path.join(HERE, "dtypes.json"), "w") as f:
        rows = [f" {json.dumps(k)}: {json.dumps(golden[k], ensure_ascii=False)}" for k in sorted(golden)]
        f.write("{\n" + ",\n".join(rows) + "\n}\n")


def control():
    # If: then adds the outer "bias" to x, else negates x.
    then_g = helper.make_graph(
        [helper.make_node("Add", ["x", "bias"], ["then_out"])], "then", [],
        [helper.make_tensor_value_info("then_out", T.FLOAT, [3])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["else_out"])], "else", [],
        [helper.make_tensor_value_info("else_out", T.FLOAT, [3])])
    # Loop body: acc = acc + x (x from the outer scope), trip count from M.
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "x"], ["acc_out"])],
        "body",
        [helper.make_tensor_value_info("iter", T.INT64, []),
         helper.make_tensor_value_info("cond_in", T.BOOL, []),
         helper.make_tensor_value_info("acc_in", T.FLOAT, [3])],
        [helper.make_tensor_value_info("cond_out", T.BOOL, []),
         helper.make_tensor_value_info("acc_out", T.FLOAT, [3])])
    sparse_init = helper.make_sparse_tensor(
        helper.make_tensor("bias", T.FLOAT, [2], [1.0, 2.0]),
        helper.make_tensor("bias_idx", T.INT64, [2], [0, 2]), [3])
    sparse_attr = helper.make_sparse_tensor(
        helper.make_tensor("sv", T.INT64, [2], [5, 7]),
        helper.make_tensor("sv_idx", T.INT64, [2, 2], [0, 1, 1, 0]), [2, 2])
    nodes = [
        helper.make_node("If", ["flag"], ["if_out"], name="if", then_branch=then_g, else_branch=else_g),
        helper.make_node("Loop", ["M", "", "if_out"], ["loop_out"], name="loop", body=body),
        helper.make_node("Constant", [], ["sparse_const"], name="const", sparse_value=sparse_attr),
        helper.make_node("Optional", [], ["empty"], name="opt",
                         type=helper.make_tensor_type_proto(T.FLOAT, [3])),
        helper.make_node("OptionalHasElement", ["empty"], ["has"], name="has"),
    ]
    map_type = onnx.TypeProto()  # onnx 1.12's helper has no make_map_type_proto
    map_type.map_type.key_type = T.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(T.FLOAT, []))
    seq_map = helper.make_sequence_type_proto(map_type)
    graph = helper.make_graph(
        nodes, "control",
        [helper.make_tensor_value_info("flag", T.BOOL, []),
         helper.make_tensor_value_info("M", T.INT64, []),
         helper.make_tensor_value_info("x", T.FLOAT, [3])],
        [helper.make_tensor_value_info("loop_out", T.FLOAT, [3]),
         helper.make_tensor_value_info("sparse_const", T.INT64, [2, 2]),
         helper.make_tensor_value_info("has", T.BOOL, [])],
        sparse_initializer=[sparse_init],
        value_info=[helper.make_value_info("empty", helper.make_optional_type_proto(
                        helper.make_tensor_type_proto(T.FLOAT, [3]))),
                    helper.make_value_info("unused_seq_map", seq_map)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16),
                                                     helper.make_opsetid("ai.onnx.ml", 3)])
    save(model, "control.onnx")


def external():
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "W")
    b = numpy_helper.from_array(np.array([1, 2, 3], dtype=np.int64), "B")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["W"], ["Y"]), helper.make_node("Identity", ["B"], ["Z"])],
        "external", [],
        [helper.make_tensor_value_info("Y", T.FLOAT, [2, 3]),
         helper.make_tensor_value_info("Z", T.INT64, [3])],
        initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    bin_path = os.path.join(HERE, "external.bin")
    if os.path.exists(bin_path):
        os.remove(bin_path)  # onnx appends to an existing data file
    save(model, "external.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
         location="external.bin", size_threshold=0)


if __name__ == "__main__":
    tiny()
    dtypes()
    control()
    external()
