#!/usr/bin/env python3
"""Fit the language stage's confidence: the probability that a label is right, from the margin
over the second language (nats), the misfit (src/stage/lang/model.rs, `Group::misfit`) and the
number of letters scored, by logistic regression.

    cargo run --release --features internals --example lang_eval -- eval/lang \\
        unknown_misfit=1e6 min_confidence=0 > target/lang_eval_raw.jsonl
    python3 eval/lang/calibrate.py target/lang_eval_raw.jsonl

Fitted on the isolated sentences of the udhr, l10n and unknown sets (a labelled sentence of an
unknown language is wrong); the help set is kept out of the fit and shows the calibration on a
domain neither the profiles nor the fit saw. Prints the weights for `src/stage/lang/mod.rs`.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np



def features(r):
    _, _, margin, misfit = r["excess"]
    return [math.log1p(min(float(margin), 1e6)), max(float(misfit), -5.0) / 5, 1.0]


def main():
    rows = [json.loads(l) for l in open(sys.argv[1] if len(sys.argv) > 1 else
                                        "target/lang_eval_raw.jsonl", encoding="utf-8")]
    rows = [r for r in rows if r["seg"] == -1 and r.get("excess") and r["letters"] > 0]
    fit = [r for r in rows if r["set"] in ("udhr", "l10n", "unknown")]
    x = np.array([features(r) for r in fit])
    y = np.array([1.0 if r["lang"] == r["gold"] else 0.0 for r in fit])
    w = np.zeros(x.shape[1])
    for _ in range(50):  # Newton's method
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y)
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    print("weights (ln(1 + margin), misfit/5, bias):", [round(v, 4) for v in w])
    for name in ("udhr", "l10n", "unknown", "help"):
        rs = [r for r in rows if r["set"] == name]
        p = 1 / (1 + np.exp(-np.array([features(r) for r in rs]) @ w))
        ok = np.array([r["lang"] == r["gold"] for r in rs])
        hi = p >= 0.9
        print(f"{name}: {len(rs)} items, confidence >= 0.9: {hi.sum()} of which right "
              f"{ok[hi].mean() if hi.any() else float('nan'):.3f}")


if __name__ == "__main__":
    main()
