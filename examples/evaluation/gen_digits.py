#!/usr/bin/python3
"""Writes digits-test.csv: the 360 held-out images of examples/digits
(the same stratified split as examples/digits/train.py), one row each:
the 64 pixels as the model's input values in [0, 1] (p0 … p63, row-major)
and the label. Deterministic; needs Debian's python3-sklearn.

    /usr/bin/python3 examples/evaluation/gen_digits.py
"""
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20240601  # examples/digits/train.py
TEST_SIZE = 0.2


def main():
    data = load_digits()
    images = data.images.astype(np.int64)
    _, x_te, _, y_te = train_test_split(images, data.target.astype(np.int64), test_size=TEST_SIZE,
                                        stratify=data.target, random_state=SEED % (2**32), shuffle=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits-test.csv")
    with open(out, "w") as f:
        f.write(",".join(f"p{i}" for i in range(64)) + ",label\n")
        for x, y in zip(x_te, y_te):
            f.write(",".join(repr(float(v)) for v in (x.ravel().astype(np.float32) / 16.0)) + f",{y}\n")
    print(f"wrote {len(y_te)} rows to {out}")


if __name__ == "__main__":
    main()
