#!/usr/bin/python3
"""Writes the v2 request datasets of docs/evaluation.md from the tables
beside this script (run gen_digits.py and gen_loans.py first):

- digits-test.v2.jsonl: the 360 held-out digits as Open Inference Protocol
  v2 request bodies of 8 images each (input "input", FP32 [8, 1, 8, 8]),
  one record a line, the expected class names as a BYTES output "label";
- loans-requests/: the loans test set as one .json record file per 100
  applicants (input "input", FP32 [100, 4]), the expected class as an
  INT64 output "label", and the "sex" and "region" columns for fairness
  and slices.

Deterministic; needs only the Python standard library.

    /usr/bin/python3 examples/evaluation/gen_requests.py
"""
import csv
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def read(name):
    with open(os.path.join(HERE, name), newline="") as f:
        return list(csv.DictReader(f))


def chunks(rows, n):
    return [rows[i:i + n] for i in range(0, len(rows), n)]


def digits():
    rows = read("digits-test.csv")
    out = os.path.join(HERE, "digits-test.v2.jsonl")
    with open(out, "w") as f:
        for k, part in enumerate(chunks(rows, 8)):
            pixels = [float(r[f"p{i}"]) for r in part for i in range(64)]
            rec = {"request": {"id": f"digits-{k}", "inputs": [
                {"name": "input", "shape": [len(part), 1, 8, 8], "datatype": "FP32", "data": pixels}]},
                "expected": [{"name": "label", "shape": [len(part)], "datatype": "BYTES",
                              "data": [r["label"] for r in part]}]}
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    print(f"wrote {len(rows)} samples to {out}")


def loans():
    rows = read("loans-test.csv")
    out = os.path.join(HERE, "loans-requests")
    os.makedirs(out, exist_ok=True)
    features = ["income", "debt", "years", "sex_f"]
    for k, part in enumerate(chunks(rows, 100)):
        rec = {"request": {"inputs": [{"name": "input", "shape": [len(part), 4], "datatype": "FP32",
                                       "data": [[float(r[c]) for c in features] for r in part]}]},
               "expected": [{"name": "label", "shape": [len(part)], "datatype": "INT64",
                             "data": [int(r["label"]) for r in part]}],
               "columns": {"sex": [r["sex"] for r in part], "region": [r["region"] for r in part]}}
        with open(os.path.join(out, f"{k:03d}.json"), "w") as f:
            json.dump(rec, f, separators=(",", ":"))
            f.write("\n")
    print(f"wrote {len(rows)} samples to {out}")


if __name__ == "__main__":
    digits()
    loans()
