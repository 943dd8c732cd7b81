#!/usr/bin/python3
"""Writes the golden files the Go tests of evaluate/metrics and
evaluate/fairness compare against: seeded predictions with reference values
from scikit-learn (metrics) and from Fairlearn's published definitions
computed in numpy (fairness).

Run from the repository root with Debian's python3-sklearn:
    /usr/bin/python3 evaluate/metrics/testdata/gen_golden.py
"""
import json
import os

import numpy as np
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

HERE = os.path.dirname(os.path.abspath(__file__))
FAIR = os.path.join(HERE, "..", "..", "fairness", "testdata")


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ece(y, p, bins=10):
    conf = p.max(axis=1)
    pred = p.argmax(axis=1)
    out, total = 0.0, 0.0
    edges = np.arange(1, bins) / bins
    b = np.searchsorted(edges, conf, side="left")  # (b/bins, (b+1)/bins]
    w = np.ones_like(conf) if WEIGHTS is None else WEIGHTS
    total = w.sum()
    for i in range(bins):
        m = b == i
        if w[m].sum() == 0:
            continue
        acc = np.sum(w[m] * (pred[m] == y[m])) / w[m].sum()
        c = np.sum(w[m] * conf[m]) / w[m].sum()
        out += w[m].sum() / total * abs(acc - c)
    return out


WEIGHTS = None


def classification_case(name, rng, n, k, weighted, ties=False):
    global WEIGHTS
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = softmax(logits)
    if ties:
        p1 = np.round(p[:, 1], 1)
        p = np.stack([1 - p1, p1], axis=1)
    pred = p.argmax(axis=1)
    # Some wrong predictions that are not the argmax, as a real model's
    # thresholded decision would give.
    flip = rng.random(n) < 0.05
    pred[flip] = rng.integers(0, k, flip.sum())
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    WEIGHTS = w
    sw = dict(sample_weight=w)
    res = {
        "accuracy": skm.accuracy_score(y, pred, **sw),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred, **sw),
        "confusion_matrix": skm.confusion_matrix(y, pred, labels=list(range(k)), **sw).astype(float).tolist(),
        "log_loss": skm.log_loss(y, p, labels=list(range(k)), **sw),
        "expected_calibration_error": ece(y, p),
    }
    prf = skm.precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0, **sw)
    res["precision_per_class"] = prf[0].tolist()
    res["recall_per_class"] = prf[1].tolist()
    res["f1_per_class"] = prf[2].tolist()
    for avg in ("macro", "micro", "weighted"):
        pr, rc, f1, _ = skm.precision_recall_fscore_support(y, pred, average=avg, zero_division=0, **sw)
        res["precision_" + avg], res["recall_" + avg], res["f1_" + avg] = pr, rc, f1
    if k == 2:
        res["roc_auc"] = skm.roc_auc_score(y, p[:, 1], **sw)
        res["average_precision"] = skm.average_precision_score(y, p[:, 1], **sw)
    else:
        res["roc_auc"] = skm.roc_auc_score(y, p, multi_class="ovr", average="macro", **sw)
        res["average_precision"] = skm.average_precision_score(label_binarize(y, classes=list(range(k))), p, average="macro", **sw)
        res["top_2_accuracy"] = skm.top_k_accuracy_score(y, p, k=2, labels=list(range(k)), **sw)
    return {"name": name, "k": k, "y_true": y.tolist(), "y_pred": pred.tolist(),
            "scores": p.ravel().tolist(), "weights": None if w is None else w.tolist(), "want": res}


def regression_case(name, rng, n, weighted):
    y = rng.normal(10, 3, n)
    pred = y + rng.normal(0, 1, n)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    sw = dict(sample_weight=w)
    want = {
        "mae": skm.mean_absolute_error(y, pred, **sw),
        "rmse": float(np.sqrt(skm.mean_squared_error(y, pred, **sw))),
        "r2": skm.r2_score(y, pred, **sw),
        "mape": skm.mean_absolute_percentage_error(y, pred, **sw),
    }
    return {"name": name, "y_true": y.tolist(), "y_pred": pred.tolist(),
            "weights": None if w is None else w.tolist(), "want": want}


def wmean(v, w):
    return float(np.sum(v * w) / np.sum(w))


def disparity(by_group, overall):
    vals = np.array(list(by_group.values()))
    r = vals / overall
    return {
        "min": float(vals.min()), "max": float(vals.max()),
        "difference": float(vals.max() - vals.min()),
        "difference_to_overall": float(np.max(np.abs(vals - overall))),
        "ratio": float(vals.min() / vals.max()),
        "ratio_to_overall": float(np.min(np.minimum(r, 1 / r))),
    }


def fairness_case(name, rng, n, weighted):
    """Binary classification with two sensitive columns; Fairlearn's
    MetricFrame, demographic parity, equalized odds and equal opportunity
    written out in numpy."""
    sex = rng.choice(["F", "M"], n)
    race = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    y = rng.integers(0, 2, n)
    bias = np.where(sex == "F", -0.4, 0.3) + np.where(race == "C", -0.3, 0.0)
    pred = ((y + rng.normal(0, 0.8, n) + bias) > 0.5).astype(int)
    w = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    out = {"name": name, "columns": {"sex": sex.tolist(), "race": race.tolist()},
           "y_true": y.tolist(), "y_pred": pred.tolist(),
           "weights": w.tolist() if weighted else None, "want": {}}
    for cols in (["sex"], ["race"], ["sex", "race"]):
        key = np.array([",".join(f"{c}={v}" for c, v in zip(cols, t))
                        for t in zip(*[out["columns"][c] for c in cols])])
        groups = sorted(set(key.tolist()))
        acc = {g: wmean(pred[key == g] == y[key == g], w[key == g]) for g in groups}
        sel = {g: wmean(pred[key == g] == 1, w[key == g]) for g in groups}
        tpr = {g: wmean(pred[(key == g) & (y == 1)] == 1, w[(key == g) & (y == 1)]) for g in groups}
        fpr = {g: wmean(pred[(key == g) & (y == 0)] == 1, w[(key == g) & (y == 0)]) for g in groups}
        d_tpr, d_fpr = disparity(tpr, wmean(pred[y == 1] == 1, w[y == 1])), disparity(fpr, wmean(pred[y == 0] == 1, w[y == 0]))
        dsel = disparity(sel, wmean(pred == 1, w))
        out["want"]["+".join(cols)] = {
            "groups": groups,
            "accuracy_by_group": [acc[g] for g in groups],
            "accuracy": disparity(acc, wmean(pred == y, w)),
            "selection_rate_by_group": [sel[g] for g in groups],
            "demographic_parity_difference": dsel["difference"],
            "demographic_parity_ratio": dsel["ratio"],
            "equalized_odds_difference": max(d_tpr["difference"], d_fpr["difference"]),
            "equalized_odds_ratio": min(d_tpr["ratio"], d_fpr["ratio"]),
            "equal_opportunity_difference": d_tpr["difference"],
        }
    return out


def main():
    rng = np.random.default_rng(15)
    cls = [
        classification_case("binary", rng, 400, 2, False),
        classification_case("binary_weighted_ties", rng, 300, 2, True, ties=True),
        classification_case("multiclass", rng, 500, 4, False),
        classification_case("multiclass_weighted", rng, 500, 5, True),
    ]
    reg = [regression_case("regression", rng, 300, False), regression_case("regression_weighted", rng, 300, True)]
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump({"classification": cls, "regression": reg}, f)
    fair = [fairness_case("fairness", rng, 600, False), fairness_case("fairness_weighted", rng, 600, True)]
    os.makedirs(FAIR, exist_ok=True)
    with open(os.path.join(FAIR, "golden.json"), "w") as f:
        json.dump({"cases": fair}, f)


if __name__ == "__main__":
    main()
