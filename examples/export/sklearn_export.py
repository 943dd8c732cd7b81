"""Exports a scikit-learn classifier to ONNX-ML.

    /usr/bin/python3 examples/export/sklearn_export.py OUT_DIR

trains StandardScaler + LogisticRegression on the iris data bundled with
scikit-learn (fixed split, deterministic) and writes OUT_DIR/model.onnx and
OUT_DIR/labels.txt (the class names in the model's order), plus what
scripts/export-check.sh (run by scripts/test.sh) uses to check the served
model: OUT_DIR/request.json, a request of the seed JSON route with five held-out
rows, and OUT_DIR/expected.json, scikit-learn's labels and probabilities.

The conversion uses examples/sklearn/convert.py, inferd's converter written with
onnx.helper, because skl2onnx (the usual converter) is not packaged for
Debian 12. With skl2onnx installed (pip install skl2onnx) the same model is
converted with:

    from skl2onnx import to_onnx
    onx = to_onnx(model, x_train[:1], target_opset={"": 17, "ai.onnx.ml": 3})

Needs python3-sklearn and python3-onnx (Debian 12).
"""

import json
import os
import sys

import numpy as np
import onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sklearn"))
from convert import convert  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: sklearn_export.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    iris = load_iris()
    x = iris.data.astype(np.float32)  # served models take float32
    y = np.array([str(iris.target_names[t]) for t in iris.target])
    x_train, x_test, y_train, _ = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x_train, y_train)

    onx = convert(model, x.shape[1], "iris", x_train)
    path = os.path.join(out, "model.onnx")
    onnx.save(onx, path)
    classes = model.classes_
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.write("".join(str(c) + "\n" for c in classes))

    rows = x_test[:5]
    with open(os.path.join(out, "request.json"), "w") as f:
        json.dump({"inputs": {"input": rows.tolist()}}, f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"label": [str(v) for v in model.predict(rows)],
                   "probabilities": model.predict_proba(rows).tolist()}, f)
    print("sklearn_export: wrote %s (%d bytes), classes %s" % (path, os.path.getsize(path), list(classes)))


if __name__ == "__main__":
    main()
