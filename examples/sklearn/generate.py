"""Trains the scikit-learn example models, converts them with convert.py and
writes each as <name>.onnx with reference outputs in reference.json.

Run from the repository root:  /usr/bin/python3 examples/sklearn/generate.py
Deterministic: fixed seeds and splits. The models are small (tens of KB) and
committed; rerun this script after changing convert.py.
"""

import json
import os
import sys

import numpy as np
import onnx
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import convert  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 40  # reference rows per model (from the held-out split)


def dataset(loader, string_labels):
    data = loader()
    x, y = data.data, data.target
    if string_labels:
        y = np.array([str(data.target_names[v]) for v in y])
    x = x.astype(np.float32)  # the models take float32, as served models do
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


MODELS = {
    "random_forest_iris": (load_iris, False, lambda: RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0)),
    "gradient_boosting_wine": (load_wine, False, lambda: GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0)),
    "gradient_boosting_breast_cancer": (load_breast_cancer, True, lambda: GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0)),
    "logistic_regression_breast_cancer": (load_breast_cancer, True, lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
    "logistic_regression_iris": (load_iris, False, lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
    "svc_wine": (load_wine, False, lambda: make_pipeline(StandardScaler(), SVC(probability=True, random_state=0))),
    "svc_breast_cancer": (load_breast_cancer, True, lambda: make_pipeline(StandardScaler(), SVC(kernel="linear", probability=True, random_state=0))),
}


def main():
    ref = {"models": {}}
    for name, (loader, strings, make) in MODELS.items():
        xtr, xte, ytr, yte = dataset(loader, strings)
        model = make().fit(xtr.astype(np.float64), ytr)
        onx = convert(model, xtr.shape[1], name, xtr)
        path = os.path.join(HERE, name + ".onnx")
        onnx.save(onx, path)
        xte, yte = xte[:ROWS], yte[:ROWS]
        x = xte.astype(np.float64)
        labels = model.predict(x)
        proba = model.predict_proba(x)
        classes = model.classes_ if not hasattr(model, "steps") else model.steps[-1][1].classes_
        ref["models"][name] = {
            "file": name + ".onnx",
            "classes": [c.item() if hasattr(c, "item") else str(c) for c in classes],
            "input": xte.tolist(),
            "labels": [v.item() if hasattr(v, "item") else str(v) for v in labels],
            "probabilities": proba.tolist(),
            "accuracy_on_rows": float((labels == yte).mean()),
        }
        print("%-36s %6d bytes  accuracy %.3f" % (name, os.path.getsize(path), ref["models"][name]["accuracy_on_rows"]))
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)


if __name__ == "__main__":
    main()
