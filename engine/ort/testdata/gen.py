"""Generates the ONNX models of the ort engine's tests (python3-onnx 1.12).

  /usr/bin/python3 gen.py

dtypes.onnx      Identity for every element type inferd tensors hold, plus two
                 rank-0 outputs: a ReduceSum (FP32) and a string Constant.
zipmap_int.onnx  ai.onnx.ml LinearClassifier + ZipMap with int64 labels 0..2:
                 outputs label INT64 [N] and probabilities seq(map(int64, float)).
zipmap_str.onnx  the same with string labels "cat", "dog", "emu".
sequence.onnx    SplitToSequence of x [N, 4] into N rows (a sequence output) and
                 ConcatFromSequence of a sequence input.
"""
import numpy as np
import onnx
from onnx import TensorProto as TP, helper

OPSET = [helper.make_opsetid("", 13)]


def save(model, name):
    onnx.checker.check_model(model)
    onnx.save(model, name)


def dtypes():
    types = [("b", TP.BOOL), ("u8", TP.UINT8), ("u16", TP.UINT16), ("u32", TP.UINT32),
             ("u64", TP.UINT64), ("i8", TP.INT8), ("i16", TP.INT16), ("i32", TP.INT32),
             ("i64", TP.INT64), ("f16", TP.FLOAT16), ("f32", TP.FLOAT), ("f64", TP.DOUBLE),
             ("s", TP.STRING)]
    nodes, ins, outs = [], [], []
    for name, t in types:
        ins.append(helper.make_tensor_value_info("in_" + name, t, ["n", 2]))
        outs.append(helper.make_tensor_value_info("out_" + name, t, ["n", 2]))
        nodes.append(helper.make_node("Identity", ["in_" + name], ["out_" + name]))
    # Rank-0 outputs: a float from ReduceSum without keepdims, and a string
    # constant.
    nodes.append(helper.make_node("ReduceSum", ["in_f32"], ["sum_f32"], keepdims=0))
    outs.append(helper.make_tensor_value_info("sum_f32", TP.FLOAT, []))
    nodes.append(helper.make_node("Constant", [], ["const_s"],
                                  value=helper.make_tensor("c", TP.STRING, [], [b"hello"])))
    outs.append(helper.make_tensor_value_info("const_s", TP.STRING, []))
    g = helper.make_graph(nodes, "dtypes", ins, outs)
    save(helper.make_model(g, opset_imports=OPSET), "dtypes.onnx")


def zipmap(name, labels):
    coef = np.array([[1.0, 0.5, -1.0], [-0.5, 1.0, 0.25], [0.2, -0.3, 1.0]], dtype=np.float32)
    kw = {"classlabels_ints": labels} if isinstance(labels[0], int) else {"classlabels_strings": labels}
    zkw = {"classlabels_int64s": labels} if isinstance(labels[0], int) else {"classlabels_strings": labels}
    ltype = TP.INT64 if isinstance(labels[0], int) else TP.STRING
    nodes = [
        helper.make_node("LinearClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                         coefficients=coef.T.flatten().tolist(), intercepts=[0.1, -0.1, 0.0],
                         post_transform="SOFTMAX", **kw),
        helper.make_node("ZipMap", ["scores"], ["probabilities"], domain="ai.onnx.ml", **zkw),
    ]
    map_t = onnx.TypeProto()
    map_t.map_type.key_type = ltype
    map_t.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TP.FLOAT, None))
    prob = helper.make_value_info("probabilities", helper.make_sequence_type_proto(map_t))
    g = helper.make_graph(nodes, name,
                          [helper.make_tensor_value_info("x", TP.FLOAT, ["n", 3])],
                          [helper.make_tensor_value_info("label", ltype, ["n"]), prob])
    m = helper.make_model(g, opset_imports=OPSET + [helper.make_opsetid("ai.onnx.ml", 1)])
    save(m, name + ".onnx")


def sequence():
    seq_f = helper.make_sequence_type_proto(helper.make_tensor_type_proto(TP.FLOAT, [4]))
    rows = helper.make_value_info("rows", seq_f)
    parts = helper.make_value_info("parts", helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TP.FLOAT, ["k"])))
    nodes = [
        helper.make_node("SplitToSequence", ["x"], ["rows"], axis=0, keepdims=0),
        helper.make_node("ConcatFromSequence", ["parts"], ["joined"], axis=0),
    ]
    g = helper.make_graph(nodes, "sequence",
                          [helper.make_tensor_value_info("x", TP.FLOAT, ["n", 4]), parts],
                          [rows, helper.make_tensor_value_info("joined", TP.FLOAT, ["m"])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "sequence.onnx")


if __name__ == "__main__":
    dtypes()
    zipmap("zipmap_int", [0, 1, 2])
    zipmap("zipmap_str", ["cat", "dog", "emu"])
    sequence()
