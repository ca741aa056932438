#!/usr/bin/env python3
"""Feature-impact benchmark: Modelyard's permutation importance against scikit-learn's.

Makes a synthetic regression data set (sklearn.datasets.make_regression, nothing downloaded),
trains a RandomForestRegressor on it, exports the model to ONNX (skl2onnx) and the data to CSV
in a temporary directory, then times on the same rows, with the same number of repeats:

- sklearn.inspection.permutation_importance (n_jobs=1, and n_jobs=<cores>), scoring RMSE;
- `modelyard feature-impact` on the ONNX file and the CSV, on one core (taskset) and on every
  core. Its own figure is the computation alone (printed on stderr by the command); the whole
  process (start, reading the CSV, loading the model) is shown too.

It prints the times, the ratios (scikit-learn time / Modelyard time), the baseline RMSE of both
and whether both rank the same top-5 features. Started by run.sh, which sets up the virtual
environment and builds the release binary; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skl2onnx
from skl2onnx import to_onnx
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
TOP = 5
COMPUTED = re.compile(r"Computed feature impact in ([0-9.]+) s")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_data(args):
    X, y = make_regression(
        n_samples=args.rows,
        n_features=args.features,
        n_informative=args.informative,
        noise=args.noise,
        random_state=args.seed,
    )
    names = [f"x{i:02d}" for i in range(args.features)]
    return X, y, names


def write_csv(path: Path, X, y, names) -> None:
    with open(path, "w", newline="") as f:
        f.write(",".join(names + ["target"]) + "\n")
        for row, target in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + "," + repr(float(target)) + "\n")


def export(model, X, path: Path) -> None:
    onx = to_onnx(
        model,
        X[:1].astype(np.float32),
        target_opset=TARGET_OPSET,
        initial_types=[
            ("input", skl2onnx.common.data_types.FloatTensorType([None, X.shape[1]]))
        ],
    )
    path.write_bytes(onx.SerializeToString())


def time_sklearn(model, X, y, args, n_jobs: int):
    start = time.perf_counter()
    result = permutation_importance(
        model,
        X,
        y,
        scoring="neg_root_mean_squared_error",
        n_repeats=args.repeats,
        random_state=args.seed,
        n_jobs=n_jobs,
    )
    return time.perf_counter() - start, result.importances_mean


def run_modelyard(args, model_path: Path, data_path: Path, one_core: bool):
    command = [
        args.bin,
        "feature-impact",
        "--model",
        str(model_path),
        "--data",
        str(data_path),
        "--target",
        "target",
        "--task",
        "regression",
        "--row-count",
        str(args.rows),
        "--seed",
        str(args.seed),
        "--repeats",
        str(args.repeats),
    ]
    if one_core:
        command = ["taskset", "-c", "0"] + command
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "RUST_LOG": "warn"})
    wall = time.perf_counter() - start
    if done.returncode != 0:
        log(done.stderr)
        raise SystemExit(f"modelyard feature-impact failed with status {done.returncode}")
    match = COMPUTED.search(done.stderr)
    if not match:
        log(done.stderr)
        raise SystemExit("modelyard feature-impact did not report its computation time")
    return float(match.group(1)), wall, json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="the modelyard binary (a release build)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=15)
    parser.add_argument("--informative", type=int, default=10)
    parser.add_argument("--noise", type=float, default=10.0)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--max-depth", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", help="write the model and the CSV to this directory and keep them")
    args = parser.parse_args()
    if not Path(args.bin).is_file():
        log(f"no binary at {args.bin}")
        return 2
    cores = len(os.sched_getaffinity(0))
    has_taskset = shutil.which("taskset") is not None

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="modelyard-fi-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        log(f"Making {args.rows} rows x {args.features} features and training {args.trees} trees...")
        X, y, names = make_data(args)
        model = RandomForestRegressor(
            n_estimators=args.trees, max_depth=args.max_depth, random_state=args.seed, n_jobs=-1
        ).fit(X, y)
        # Predictions inside permutation_importance run on one thread, as n_jobs=1 promises.
        model.set_params(n_jobs=1)
        model_path, data_path = workdir / "model.onnx", workdir / "data.csv"
        export(model, X, model_path)
        write_csv(data_path, X, y, names)
        # The CSV is what Modelyard reads; score scikit-learn on the same numbers.
        data = np.loadtxt(data_path, delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1]
        base_sklearn = float(np.sqrt(np.mean((y - model.predict(X)) ** 2)))

        log("Timing scikit-learn (n_jobs=1)...")
        sk_1, means = time_sklearn(model, X, y, args, n_jobs=1)
        sk_n = None
        if cores > 1:
            log(f"Timing scikit-learn (n_jobs={cores})...")
            sk_n, _ = time_sklearn(model, X, y, args, n_jobs=cores)
        my_1 = None
        if has_taskset and cores > 1:
            log("Timing Modelyard on one core...")
            my_1, wall_1, _ = run_modelyard(args, model_path, data_path, one_core=True)
        log(f"Timing Modelyard on {cores} cores...")
        my_n, wall_n, result = run_modelyard(args, model_path, data_path, one_core=False)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    top_sklearn = [names[i] for i in np.argsort(-means, kind="stable")[:TOP]]
    top_modelyard = [item["feature_name"] for item in result["feature_impacts"][:TOP]]
    same_order = top_sklearn == top_modelyard
    same_set = set(top_sklearn) == set(top_modelyard)

    rows = [(f"scikit-learn permutation_importance, n_jobs=1", sk_1)]
    if sk_n is not None:
        rows.append((f"scikit-learn permutation_importance, n_jobs={cores}", sk_n))
    if my_1 is not None:
        rows.append(("Modelyard feature-impact, 1 core (computation)", my_1))
        rows.append(("Modelyard feature-impact, 1 core (whole process)", wall_1))
    rows.append((f"Modelyard feature-impact, {cores} cores (computation)", my_n))
    rows.append((f"Modelyard feature-impact, {cores} cores (whole process)", wall_n))

    print(
        f"Feature impact: {args.rows} rows, {args.features} features, "
        f"RandomForestRegressor({args.trees} trees, max_depth {args.max_depth}), "
        f"{args.repeats} repeats, {cores} cores"
    )
    print(f"{'':56} {'seconds':>9} {'sklearn n_jobs=1 / this':>24}")
    for label, seconds in rows:
        print(f"{label:56} {seconds:9.3f} {sk_1 / seconds:23.1f}x")
    print(f"Baseline RMSE: scikit-learn {base_sklearn:.6f}, Modelyard {result['base_score']:.6f}")
    print(f"Top {TOP} (scikit-learn): {', '.join(top_sklearn)}")
    print(f"Top {TOP} (Modelyard):    {', '.join(top_modelyard)}")
    verdict = "same order" if same_order else ("same features, another order" if same_set else "different")
    print(f"Top {TOP} agree: {verdict}")

    if args.json:
        figures = {
            "rows": args.rows,
            "features": args.features,
            "trees": args.trees,
            "max_depth": args.max_depth,
            "repeats": args.repeats,
            "cores": cores,
            "seconds": {label: seconds for label, seconds in rows},
            "ratio_sklearn_1_job_over_modelyard_computation": sk_1 / my_n,
            "base_rmse": {"sklearn": base_sklearn, "modelyard": result["base_score"]},
            "top": {"sklearn": top_sklearn, "modelyard": top_modelyard},
            "top_same_order": same_order,
            "top_same_set": same_set,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if same_set else 1


if __name__ == "__main__":
    sys.exit(main())
