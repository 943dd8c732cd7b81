"""Writes the miniature backend-test suite under suite/ that the conformance
package's tests run: cases that pass, fail in each way, and skip.

Run from this directory: /usr/bin/python3 gen.py
"""

import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "suite")


def write_case(suite, name, model, inputs, outputs):
    d = os.path.join(ROOT, suite, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    if inputs is None:
        return
    s = os.path.join(d, "test_data_set_0")
    os.makedirs(s, exist_ok=True)
    for kind, values in (("input", inputs), ("output", outputs)):
        for i, v in enumerate(values):
            with open(os.path.join(s, "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(v.SerializeToString())


def add_model(op="Add"):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3])
    g = helper.make_graph([helper.make_node(op, ["x", "y"], ["z"])], "add", [x, y], [z])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.full((2, 3), 0.5, dtype=np.float32)
    ins = [numpy_helper.from_array(a, "x"), numpy_helper.from_array(b, "y")]
    write_case("node", "test_add", add_model(), ins, [numpy_helper.from_array(a + b, "z")])
    wrong = (a + b).copy()
    wrong[1, 2] += 0.01
    write_case("node", "test_add_wrong_output", add_model(), ins, [numpy_helper.from_array(wrong, "z")])
    write_case("node", "test_unsupported", add_model("NotAnOperator"), ins, [numpy_helper.from_array(a + b, "z")])
    write_case("node", "test_no_data", add_model(), None, None)
    # A sequence output: SequenceConstruct(x, y).
    seq_out = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("SequenceConstruct", ["x", "y"], ["s"])], "seq",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                           helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [seq_out])
    seq = onnx.SequenceProto()
    seq.name = "s"
    seq.elem_type = onnx.SequenceProto.TENSOR
    seq.tensor_values.extend([numpy_helper.from_array(a), numpy_helper.from_array(b)])
    write_case("simple", "test_sequence", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), ins, [seq])


if __name__ == "__main__":
    main()
