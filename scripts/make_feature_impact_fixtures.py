#!/usr/bin/env python3
"""Make the feature-impact fixtures in fixtures/feature_impact/.

Trains small scikit-learn models on two data sets that ship inside scikit-learn
(diabetes: regression; breast cancer: binary classification), exports each model
to ONNX with skl2onnx, writes the data as CSV, and records in expected.json what
a Rust test needs to check an ONNX runtime and a permutation-importance job
without Python: the predictions for the first rows and sklearn's
permutation_importance.

Run from the repository root, in a virtual environment outside the repository:

    python3 -m venv /tmp/fi-venv
    /tmp/fi-venv/bin/pip install -r scripts/fixtures-requirements.txt
    /tmp/fi-venv/bin/python scripts/make_feature_impact_fixtures.py

With the pinned versions the output is byte-for-byte reproducible.
"""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import skl2onnx
import sklearn
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "feature_impact"

SEED = 0
# Opsets written into every model: the default ONNX domain and ai.onnx.ml.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
INPUT_NAME = "input"
PREDICTION_ROWS = 20
PI_REPEATS = 5
PI_RANDOM_STATE = 0
PI_SCORING = {"regression": "neg_root_mean_squared_error", "classification": "neg_log_loss"}


def datasets():
    diabetes = load_diabetes()
    cancer = load_breast_cancer()
    return {
        "diabetes": {
            "csv": "diabetes.csv",
            "task": "regression",
            "X": diabetes.data,
            "y": diabetes.target,
            "features": [str(f) for f in diabetes.feature_names],
        },
        "breast_cancer": {
            "csv": "breast_cancer.csv",
            "task": "classification",
            "X": cancer.data,
            "y": cancer.target.astype(np.int64),
            "features": [str(f) for f in cancer.feature_names],
            "classes": [0, 1],
            "class_names": [str(c) for c in cancer.target_names],
        },
    }


def models():
    """(file stem, data set, description, estimator)."""
    return [
        ("diabetes_linear", "diabetes", "LinearRegression", LinearRegression()),
        (
            "diabetes_scaled_linear",
            "diabetes",
            "Pipeline(StandardScaler, LinearRegression)",
            Pipeline([("scaler", StandardScaler()), ("model", LinearRegression())]),
        ),
        (
            "diabetes_random_forest",
            "diabetes",
            "RandomForestRegressor(n_estimators=30, max_depth=6)",
            RandomForestRegressor(n_estimators=30, max_depth=6, random_state=SEED, n_jobs=1),
        ),
        (
            "diabetes_gradient_boosting",
            "diabetes",
            "GradientBoostingRegressor(n_estimators=50, max_depth=3)",
            GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=SEED),
        ),
        (
            "breast_cancer_logistic",
            "breast_cancer",
            "LogisticRegression(max_iter=10000)",
            LogisticRegression(max_iter=10000),
        ),
        (
            "breast_cancer_scaled_logistic",
            "breast_cancer",
            "Pipeline(StandardScaler, LogisticRegression)",
            Pipeline([("scaler", StandardScaler()), ("model", LogisticRegression(max_iter=10000))]),
        ),
        (
            "breast_cancer_random_forest",
            "breast_cancer",
            "RandomForestClassifier(n_estimators=30, max_depth=6)",
            RandomForestClassifier(n_estimators=30, max_depth=6, random_state=SEED, n_jobs=1),
        ),
        (
            "breast_cancer_gradient_boosting",
            "breast_cancer",
            "GradientBoostingClassifier(n_estimators=50, max_depth=3)",
            GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=SEED),
        ),
    ]


def write_csv(path, features, X, y, task):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(features + ["target"])
        for row, target in zip(X, y):
            cells = [repr(float(v)) for v in row]
            cells.append(str(int(target)) if task == "classification" else repr(float(target)))
            w.writerow(cells)


def read_csv_back(path, n_features):
    """Parse the CSV as a consumer would, so the recorded numbers are those of the file."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    data = np.array([[float(c) for c in r] for r in rows[1:]], dtype=np.float64)
    return rows[0], data[:, :n_features], data[:, n_features]


def export(estimator, X, task):
    options = None
    if task == "classification":
        # Without ZipMap the probabilities come out as a plain float tensor [N, n_classes].
        options = {id(estimator): {"zipmap": False}}
    onx = to_onnx(
        estimator,
        X[:1].astype(np.float32),
        name=None,
        options=options,
        target_opset=TARGET_OPSET,
        initial_types=[(INPUT_NAME, skl2onnx.common.data_types.FloatTensorType([None, X.shape[1]]))],
    )
    return onx


def operators(onx):
    ops = sorted({(n.domain or "ai.onnx", n.op_type) for n in onx.graph.node})
    return [{"domain": d, "op_type": t} for d, t in ops]


def opsets(onx):
    return {(o.domain or "ai.onnx"): o.version for o in onx.opset_import}


def rounded(values, digits=9):
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sets = datasets()
    data = {}
    for name, ds in sets.items():
        path = OUT / ds["csv"]
        write_csv(path, ds["features"], ds["X"], ds["y"], ds["task"])
        header, X, y = read_csv_back(path, len(ds["features"]))
        assert header[:-1] == ds["features"] and header[-1] == "target"
        assert np.array_equal(X, ds["X"]) and np.array_equal(y, ds["y"])
        data[name] = (X, y)

    expected = {
        "generator": "scripts/make_feature_impact_fixtures.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "datasets": {},
        "permutation_importance": {
            "function": "sklearn.inspection.permutation_importance",
            "rows": "all rows of the data set's CSV",
            "n_repeats": PI_REPEATS,
            "random_state": PI_RANDOM_STATE,
            "scoring": PI_SCORING,
            "meaning": "mean and std over the repeats of (baseline score - score with the column "
            "shuffled); scores are negated RMSE or negated log loss, so this is how much the "
            "RMSE or log loss grew. normalized = mean / max(mean).",
        },
        "models": [],
    }
    for name, ds in sets.items():
        X, y = data[name]
        entry = {
            "csv": ds["csv"],
            "task": ds["task"],
            "rows": int(X.shape[0]),
            "features": ds["features"],
            "target": "target",
            "source": f"sklearn.datasets.load_{name}()",
        }
        if ds["task"] == "classification":
            entry["classes"] = ds["classes"]
            entry["class_names"] = ds["class_names"]
        expected["datasets"][name] = entry

    for stem, ds_name, description, estimator in models():
        ds = sets[ds_name]
        task = ds["task"]
        X, y = data[ds_name]
        estimator.fit(X, y)

        onx = export(estimator, X, task)
        model_path = OUT / f"{stem}.onnx"
        model_path.write_bytes(onx.SerializeToString())
        outputs = [o.name for o in onx.graph.output]

        head = X[:PREDICTION_ROWS]
        sess = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == [INPUT_NAME]
        ort = dict(zip(outputs, sess.run(None, {INPUT_NAME: head.astype(np.float32)})))

        record = {
            "name": stem,
            "model": description,
            "onnx": model_path.name,
            "onnx_bytes": model_path.stat().st_size,
            "dataset": ds_name,
            "task": task,
            "input": {"name": INPUT_NAME, "type": "float32", "shape": [None, X.shape[1]]},
            "outputs": outputs,
            "features": ds["features"],
            "opsets": opsets(onx),
            "operators": operators(onx),
            "prediction_rows": PREDICTION_ROWS,
        }
        if task == "regression":
            assert outputs == ["variable"], outputs
            record["prediction_output"] = "variable"
            record["prediction_output_shape"] = ["N", 1]
            sk = estimator.predict(head)
            record["predictions_sklearn"] = rounded(sk)
            record["predictions_onnxruntime"] = rounded(ort["variable"])
            diff = np.max(np.abs(ort["variable"].ravel() - sk))
        else:
            assert outputs == ["label", "probabilities"], outputs
            record["prediction_output"] = "probabilities"
            record["prediction_output_shape"] = ["N", 2]
            record["positive_class_column"] = 1
            record["label_output"] = "label"
            sk = estimator.predict_proba(head)
            record["labels_sklearn"] = [int(v) for v in estimator.predict(head)]
            record["probabilities_sklearn"] = rounded(sk[:, 1])
            record["probabilities_onnxruntime"] = rounded(ort["probabilities"][:, 1])
            assert np.array_equal(ort["label"].ravel(), estimator.predict(head))
            diff = np.max(np.abs(ort["probabilities"] - sk))
        record["max_abs_diff_onnxruntime_vs_sklearn"] = float(f"{diff:.3g}")

        pi = permutation_importance(
            estimator,
            X,
            y,
            scoring=PI_SCORING[task],
            n_repeats=PI_REPEATS,
            random_state=PI_RANDOM_STATE,
            n_jobs=1,
        )
        scorer = get_scorer(PI_SCORING[task])
        baseline = -scorer(estimator, X, y)
        top = float(np.max(pi.importances_mean))
        record["baseline_score"] = {
            "metric": "rmse" if task == "regression" else "log_loss",
            "value": rounded([baseline])[0],
        }
        record["permutation_importance"] = [
            {
                "feature": f,
                "mean": rounded([m])[0],
                "std": rounded([s])[0],
                "normalized": rounded([m / top])[0],
            }
            for f, m, s in zip(ds["features"], pi.importances_mean, pi.importances_std)
        ]
        order = np.argsort(-pi.importances_mean, kind="stable")
        record["ranking"] = [ds["features"][i] for i in order]
        expected["models"].append(record)
        print(f"{stem}: {record['onnx_bytes']} bytes, ort vs sklearn max diff {diff:.2g}, "
              f"top features {record['ranking'][:3]}")

    with open(OUT / "expected.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
