#!/usr/bin/python3
"""scikit-learn reference for the trainer bench.

Does the reference training job (RandomForestClassifier(n_estimators=100,
random_state=42), model.pkl + metrics.json + metadata.json) on a CSV data set
with a split column, and prints the figures the bench compares as JSON:
fit seconds, accuracy, pickle size, batch predict seconds on the test rows
and the mean single-row predict_proba time.
"""
import argparse
import csv
import json
import os
import pickle
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, classification_report


def load(path, label, split):
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    li, si = header.index(label), header.index(split)
    fi = [i for i in range(len(header)) if i not in (li, si)]
    X = np.array([[float(r[i]) for i in fi] for r in rows])
    y = np.array([r[li] for r in rows])
    is_test = np.array([r[si] == "test" for r in rows])
    return [header[i] for i in fi], X, y, is_test


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", default="label")
    ap.add_argument("--split-column", default="split")
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--n-jobs", type=int, default=None)
    ap.add_argument("--predict-bench", action="store_true")
    args = ap.parse_args()

    features, X, y, is_test = load(args.data, args.label, args.split_column)
    X_train, X_test = X[~is_test], X[is_test]
    y_train, y_test = y[~is_test], y[is_test]

    model = RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=args.n_jobs)
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = time.process_time() - cpu
    y_pred = model.predict(X_test)
    accuracy = accuracy_score(y_test, y_pred)

    os.makedirs(args.output_dir, exist_ok=True)
    pkl = os.path.join(args.output_dir, "model.pkl")
    with open(pkl, "wb") as fh:
        pickle.dump(model, fh)
    with open(os.path.join(args.output_dir, "metrics.json"), "w") as fh:
        json.dump({
            "accuracy": accuracy,
            "classification_report": classification_report(y_test, y_pred, output_dict=True),
            "model_type": "random_forest",
            "n_estimators": 100,
            "training_samples": len(X_train),
            "test_samples": len(X_test),
        }, fh, indent=2)
    with open(os.path.join(args.output_dir, "metadata.json"), "w") as fh:
        json.dump({
            "model_name": "iris-classifier",
            "version": time.strftime("v%Y%m%d%H%M%S", time.gmtime()),
            "model_type": "random_forest",
            "dataset": os.path.basename(args.data),
            "accuracy": accuracy,
            "training_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "features": features,
            "target_classes": sorted(set(y.tolist())),
        }, fh, indent=2)

    out = {"fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds, "accuracy": accuracy, "model_bytes": os.path.getsize(pkl)}
    if args.predict_bench:
        times, cpus = [], []
        for _ in range(5):
            start, cpu = time.perf_counter(), time.process_time()
            model.predict_proba(X_test)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        out["batch_seconds"] = min(times)
        out["batch_cpu_seconds"] = min(cpus)
        # single rows: n_jobs=1, scikit-learn's fastest setting for one row
        model.set_params(n_jobs=1)
        n = 300
        start = time.perf_counter()
        for i in range(n):
            model.predict_proba(X_test[i:i + 1])
        out["single_row_us"] = (time.perf_counter() - start) / n * 1e6
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
