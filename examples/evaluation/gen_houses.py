#!/usr/bin/python3
"""Generates the houses example: a regression model (scikit-learn's
LinearRegression on synthetic house prices, exported to ONNX as MatMul and
Add) and its held-out set, with reference metrics computed by scikit-learn
on the model's float32 predictions.

    /usr/bin/python3 examples/evaluation/gen_houses.py

Writes houses/1/model.onnx (input "input" FP32 [N, 3], output "price"
FP32 [N, 1]), houses-test.csv (area, rooms, age, region, label) and
houses-reference.json (mae, rmse, r2, mape). Deterministic.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression

HERE = os.path.dirname(os.path.abspath(__file__))


def population(rng, n):
    area = rng.uniform(40, 200, n)
    rooms = rng.integers(1, 7, n).astype(np.float64)
    age = rng.uniform(0, 80, n)
    region = np.where(rng.random(n) < 0.5, "city", "country")
    price = 2.5 * area + 12 * rooms - 0.8 * age + np.where(region == "city", 60, 0) + rng.normal(0, 25, n) + 100
    return np.stack([area, rooms, age], axis=1), price, region


def main():
    rng = np.random.default_rng(7)
    x_tr, y_tr, _ = population(rng, 2000)
    x_te, y_te, region = population(rng, 500)
    m = LinearRegression().fit(x_tr, y_tr)
    w = numpy_helper.from_array(m.coef_.astype(np.float32).reshape(3, 1), "w")
    b = numpy_helper.from_array(np.array([m.intercept_], dtype=np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["input", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["price"])],
        "houses",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("price", TensorProto.FLOAT, ["batch", 1])],
        initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="gen_houses.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(HERE, "houses", "1"), exist_ok=True)
    onnx.save(model, os.path.join(HERE, "houses", "1", "model.onnx"))

    x32 = x_te.astype(np.float32)
    # The model's MatMul and Add in float32, one elementwise operation at a
    # time: a BLAS product's rounding depends on the CPU's kernel, and the
    # reference must regenerate identically on any machine.
    w32, b32 = m.coef_.astype(np.float32), np.float32(m.intercept_)
    pred = (((x32[:, 0] * w32[0] + x32[:, 1] * w32[1]) + x32[:, 2] * w32[2]) + b32).astype(np.float64)
    ref = {"mae": skm.mean_absolute_error(y_te, pred), "rmse": float(np.sqrt(skm.mean_squared_error(y_te, pred))),
           "r2": skm.r2_score(y_te, pred), "mape": skm.mean_absolute_percentage_error(y_te, pred)}
    with open(os.path.join(HERE, "houses-reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "houses-test.csv"), "w") as f:
        f.write("area,rooms,age,region,label\n")
        for row, y, r in zip(x32, y_te, region):
            f.write(",".join(repr(float(v)) for v in row) + f",{r},{y!r}\n")
    print(ref)


if __name__ == "__main__":
    main()
