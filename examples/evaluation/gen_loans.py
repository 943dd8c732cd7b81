#!/usr/bin/python3
"""Generates the loans example: a synthetic credit dataset with a group
column (sex) and a bias planted on purpose, and three versions of a
logistic-regression model exported to ONNX with examples/sklearn/convert.py.

    /usr/bin/python3 examples/evaluation/gen_loans.py

Writes (deterministic, fixed seed):
  loans-test.csv           held-out rows: income, debt, years, sex_f (features),
                           sex (group), region (slice), label (1 = repaid)
  loans/config.yaml        the model's config (production -> version 1)
  loans/1/model.onnx       trained on the true labels, sex_f ignored: fair
  loans/2/model.onnx       trained on historical decisions that approved
                           women less often, with sex_f as a feature: the
                           planted bias; the fairness gate blocks it
  loans/3/model.onnx       trained on 60 rows and income only: worse than
                           production; the change threshold blocks it
  loans/4/model.onnx       version 2 again, with acceptance.yaml: the golden
                           case of an applicant who should be approved
                           whatever her sex fails, so it never serves
  loans/{1,3}/acceptance.yaml  the same case, which they pass
"""
import os
import sys

import numpy as np
import onnx
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sklearn"))
from convert import convert  # noqa: E402

SEED = 15
FEATURES = ["income", "debt", "years", "sex_f"]


def population(rng, n):
    sex_f = (rng.random(n) < 0.5).astype(np.float64)
    income = rng.normal(50, 15, n).clip(5)
    debt = rng.normal(20, 8, n).clip(0)
    years = rng.gamma(2.0, 3.0, n)
    region = np.where(rng.random(n) < 0.6, "north", "south")
    z = 0.08 * (income - 50) - 0.15 * (debt - 20) + 0.2 * (years - 6) + 0.8
    label = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    x = np.stack([income, debt, years, sex_f], axis=1)
    return x, label, sex_f, region


def fit(x, y):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)


def main():
    rng = np.random.default_rng(SEED)
    x_tr, y_tr, f_tr, _ = population(rng, 4000)
    x_te, y_te, f_te, region = population(rng, 1500)

    fair_x = x_tr.copy()
    fair_x[:, 3] = 0  # sex is not used: its coefficient stays 0
    models = {1: fit(fair_x, y_tr)}
    # Historical decisions: half of the women who repaid were refused.
    biased = y_tr.copy()
    biased[(f_tr == 1) & (y_tr == 1) & (rng.random(len(y_tr)) < 0.5)] = 0
    models[2] = fit(x_tr, biased)
    weak_x = x_tr[:60].copy()
    weak_x[:, 1:] = 0  # income only
    models[3] = fit(weak_x, y_tr[:60])

    out = os.path.join(HERE, "loans")
    for v, m in models.items():
        os.makedirs(os.path.join(out, str(v)), exist_ok=True)
        onnx.save(convert(m, len(FEATURES), f"loans_v{v}", x_tr.astype(np.float32)), os.path.join(out, str(v), "model.onnx"))
        acc = (m.predict(x_te) == y_te).mean()
        sel = [m.predict(x_te[f_te == g]).mean() for g in (1, 0)]
        print(f"version {v}: accuracy {acc:.4f}, approval rate women {sel[0]:.3f} men {sel[1]:.3f}")
    # The golden case: a woman the fair model approves and the biased one refuses.
    case = np.array([[55.0, 18.0, 6.0, 1.0]], dtype=np.float32)
    assert models[1].predict(case)[0] == 1 and models[2].predict(case)[0] == 0
    os.makedirs(os.path.join(out, "4"), exist_ok=True)
    onnx.save(convert(models[2], len(FEATURES), "loans_v4", x_tr.astype(np.float32)), os.path.join(out, "4", "model.onnx"))
    for v in (1, 3, 4):
        with open(os.path.join(out, str(v), "acceptance.yaml"), "w") as f:
            f.write("# Golden cases run by the server after warm-up (docs/evaluation.md).\n"
                    "cases:\n"
                    "  - name: qualified woman approved\n"
                    f"    inputs: {{input: [{[float(x) for x in case[0]]}]}}\n"
                    "    label: \"1\"\n"
                    "    latency_ms: 1000\n")
    with open(os.path.join(HERE, "loans-test.csv"), "w") as f:
        f.write(",".join(FEATURES) + ",sex,region,label\n")
        for row, y, g, r in zip(x_te.astype(np.float32), y_te, f_te, region):
            f.write(",".join(repr(float(v)) for v in row) + f",{'F' if g else 'M'},{r},{y}\n")


if __name__ == "__main__":
    main()
