//! ONNX models run in-process with tract (pure Rust): what a model file holds ([`inspect`]), and
//! a loaded model that predicts ([`OnnxModel`]).
//!
//! Supported: one input `[rows, features]` of floats or doubles; regressors (one value per row)
//! and classifiers (a probabilities tensor `[rows, classes]`, read before a ZipMap when the model
//! ends in one). Model files are untrusted: no input makes this module panic, and tract is run
//! under `catch_unwind` because some malformed graphs make it panic.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use crate::domain::signature::SignatureField;

use super::ops;
use super::{PredictError, Task};

mod budget;
mod graph;
mod load;
mod signature;

pub use budget::human_bytes;
pub use load::{OnnxModel, check_table};

/// Error messages from tract can quote whole tensors; they are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 600;

/// An operator by type and domain, e.g. `SVMClassifier` of `ai.onnx.ml`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Operator {
    pub op_type: String,
    pub domain: String,
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.domain.as_str() {
            "" | "ai.onnx" => f.write_str(&self.op_type),
            domain => write!(f, "{} ({domain})", self.op_type),
        }
    }
}

/// What an ONNX file holds, as far as predicting with it is concerned.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    /// The graph inputs the caller feeds (stored weights excluded).
    pub inputs: Vec<String>,
    /// The number of features of the single input `[rows, features]`, if the file declares it.
    pub n_features: Option<usize>,
    /// Every output of the graph.
    pub outputs: Vec<String>,
    /// The tensor predictions are read from: a regressor's output or a classifier's
    /// probabilities (the input of its ZipMap, if it has one). `None` if no output holds floats.
    pub prediction_output: Option<String>,
    /// Regression or classification, guessed from the operators and outputs.
    pub task: Option<Task>,
    /// A classifier's labels, in the order of its probability columns, if the file names them.
    pub class_labels: Vec<String>,
    /// Operators needed for the predictions that cannot be run here, sorted, each named once.
    pub unsupported_operators: Vec<Operator>,
    /// The graph's inputs (stored weights excluded) and outputs: name, element type, shape.
    #[serde(default)]
    pub input_specs: Vec<SignatureField>,
    #[serde(default)]
    pub output_specs: Vec<SignatureField>,
}

/// Reads what a model file holds without running it. An upload can report unsupported
/// operators from this and still accept the file; only bytes that are not an ONNX model at all
/// are an error.
pub fn inspect(bytes: &[u8]) -> Result<ModelInfo, PredictError> {
    let proto = decode(bytes)?;
    Ok(graph::analyse(&proto)?.info)
}

fn decode(bytes: &[u8]) -> Result<ModelProto, PredictError> {
    guarded(|| ops::runtime().proto_model_for_read(&mut &bytes[..]))
        .map_err(PredictError::InvalidModel)
}

/// Runs tract, turning its errors and panics into a readable message.
fn guarded<T>(f: impl FnOnce() -> TractResult<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(shorten(format!("{e:#}"))),
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no details".to_owned());
            Err(shorten(format!(
                "the ONNX runtime could not handle this model ({reason})"
            )))
        }
    }
}

fn shorten(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::load::ROWS_PER_RUN;
    use super::*;
    use crate::server::predict::test_graphs::{self, ML, node, tensor, untyped};
    use crate::server::predict::{Features, Predictions, Predictor};
    use serde_json::Value;
    use tract_onnx::pb::{self, tensor_proto::DataType};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/feature_impact");

    fn expected() -> Value {
        let text = std::fs::read_to_string(format!("{FIXTURES}/expected.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The feature columns of a fixture CSV (every column but the last, `target`).
    fn dataset(csv: &str) -> (Vec<String>, Vec<Vec<f64>>) {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{csv}")).unwrap();
        let mut lines = text.lines();
        let mut names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        names.pop();
        let mut columns = vec![Vec::new(); names.len()];
        for line in lines {
            for (column, cell) in columns.iter_mut().zip(line.split(',')) {
                column.push(cell.parse::<f64>().unwrap());
            }
        }
        (names, columns)
    }

    fn fixture_model(name: &str) -> Value {
        expected()["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    }

    fn numbers(value: &Value) -> Vec<f64> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    }

    /// Loads a fixture model, checks what `inspect` says about it, and compares its predictions
    /// on the first rows with onnxruntime's.
    fn check_fixture(name: &str) {
        let expected = expected();
        let m = fixture_model(name);
        let bytes = std::fs::read(format!("{FIXTURES}/{}", m["onnx"].as_str().unwrap())).unwrap();
        let csv = expected["datasets"][m["dataset"].as_str().unwrap()]["csv"]
            .as_str()
            .unwrap();
        let (names, columns) = dataset(csv);
        assert_eq!(names, m["features"].as_array().unwrap().clone(), "{name}");

        let info = inspect(&bytes).unwrap();
        assert_eq!(info.unsupported_operators, vec![], "{name}");
        assert_eq!(info.inputs, vec!["input".to_owned()], "{name}");
        assert_eq!(info.n_features, Some(names.len()), "{name}");
        assert_eq!(
            info.prediction_output.as_deref(),
            m["prediction_output"].as_str(),
            "{name}"
        );
        let classification = m["task"] == "classification";
        let task = if classification {
            Task::Classification
        } else {
            Task::Regression
        };
        assert_eq!(info.task, Some(task), "{name}");
        if classification {
            assert_eq!(info.class_labels, vec!["0", "1"], "{name}");
        }

        let model = OnnxModel::load(&bytes).unwrap();
        assert_eq!(model.task(), task);
        let n_rows = m["prediction_rows"].as_u64().unwrap() as usize;
        let first_rows: Vec<&[f64]> = columns.iter().map(|c| &c[..n_rows]).collect();
        let features = Features::new(&names, first_rows).unwrap();
        let (got, want, tolerance) = match model.predict(&features).unwrap() {
            Predictions::Values(got) => (got, numbers(&m["predictions_onnxruntime"]), 1e-4),
            Predictions::PositiveProbability(got) => {
                (got, numbers(&m["probabilities_onnxruntime"]), 1e-5)
            }
            other => panic!("{name}: unexpected {other:?}"),
        };
        assert_eq!(got.len(), n_rows, "{name}");
        for (row, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= tolerance,
                "{name}, row {row}: got {g}, onnxruntime {w}"
            );
        }

        // The whole data set in one call.
        let all: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let features = Features::new(&names, all).unwrap();
        assert_eq!(model.predict(&features).unwrap().n_rows(), columns[0].len());
    }

    #[test]
    fn diabetes_linear_matches_onnxruntime() {
        check_fixture("diabetes_linear");
    }

    #[test]
    fn diabetes_scaled_linear_matches_onnxruntime() {
        check_fixture("diabetes_scaled_linear");
    }

    #[test]
    fn diabetes_random_forest_matches_onnxruntime() {
        check_fixture("diabetes_random_forest");
    }

    #[test]
    fn diabetes_gradient_boosting_matches_onnxruntime() {
        check_fixture("diabetes_gradient_boosting");
    }

    #[test]
    fn breast_cancer_logistic_matches_onnxruntime() {
        check_fixture("breast_cancer_logistic");
    }

    #[test]
    fn breast_cancer_scaled_logistic_matches_onnxruntime() {
        check_fixture("breast_cancer_scaled_logistic");
    }

    #[test]
    fn breast_cancer_random_forest_matches_onnxruntime() {
        check_fixture("breast_cancer_random_forest");
    }

    #[test]
    fn breast_cancer_gradient_boosting_matches_onnxruntime() {
        check_fixture("breast_cancer_gradient_boosting");
    }

    /// The labels output is not what feature impact reads, but a wrong label is a wrong model.
    #[test]
    fn tree_classifier_labels_match_sklearn() {
        for name in [
            "breast_cancer_random_forest",
            "breast_cancer_gradient_boosting",
        ] {
            let m = fixture_model(name);
            let path = format!("{FIXTURES}/{}", m["onnx"].as_str().unwrap());
            let (_, columns) = dataset("breast_cancer.csv");
            let n_rows = m["prediction_rows"].as_u64().unwrap() as usize;
            let rows: Vec<f32> = (0..n_rows)
                .flat_map(|r| columns.iter().map(move |c| c[r] as f32))
                .collect();
            let n_features = columns.len();
            let model = ops::runtime().model_for_path(&path).unwrap();
            let rows_sym = model.symbols.sym("rows");
            let plan = model
                .with_input_fact(
                    0,
                    InferenceFact::dt_shape(
                        f32::datum_type(),
                        tvec![rows_sym.to_dim(), n_features.to_dim()],
                    ),
                )
                .unwrap()
                .into_optimized()
                .unwrap()
                .into_runnable()
                .unwrap();
            let input = Tensor::from_shape(&[n_rows, n_features], &rows).unwrap();
            let outputs = plan.run(tvec!(input.into_tvalue())).unwrap();
            let labels: Vec<i64> = outputs[0]
                .to_plain_array_view::<i64>()
                .unwrap()
                .iter()
                .copied()
                .collect();
            let want: Vec<i64> = m["labels_sklearn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            assert_eq!(labels, want, "{name}");
        }
    }

    /// A LinearClassifier of two features `X` into `label` and `probabilities` of the classes 0
    /// and 1; class 1 scores a + 2b + 0.5. `extra` attributes are added to its own.
    fn linear_classifier(extra: Vec<pb::AttributeProto>) -> pb::NodeProto {
        let mut attributes = vec![
            test_graphs::ints("classlabels_ints", &[0, 1]),
            test_graphs::floats("coefficients", &[-1.0, -2.0, 1.0, 2.0]),
            test_graphs::floats("intercepts", &[-0.5, 0.5]),
        ];
        attributes.extend(extra);
        node(
            "LinearClassifier",
            ML,
            &["X"],
            &["label", "probabilities"],
            attributes,
        )
    }

    /// A classifier ending the way skl2onnx ends one: after `nodes`, a ZipMap of the classes 0
    /// and 1 reads `probabilities` into `output_probability`; the graph outputs that and the
    /// integer labels `label`.
    fn ending_in_zipmap(
        n_features: i64,
        mut nodes: Vec<pb::NodeProto>,
        probabilities: &str,
        label: &str,
    ) -> Vec<u8> {
        nodes.push(node(
            "ZipMap",
            ML,
            &[probabilities],
            &["output_probability"],
            vec![test_graphs::ints("classlabels_int64s", &[0, 1])],
        ));
        test_graphs::model(
            n_features,
            nodes,
            vec![
                tensor(label, DataType::Int64, &[None]),
                untyped("output_probability"),
            ],
        )
    }

    /// skl2onnx's default export: labels through a Cast, probabilities through a ZipMap (a
    /// sequence of maps tract has no type for). Predictions are read at the ZipMap's input.
    #[test]
    fn classifier_ending_in_zipmap_is_read_before_the_zipmap() {
        let bytes = ending_in_zipmap(
            2,
            vec![
                linear_classifier(vec![test_graphs::string("post_transform", "LOGISTIC")]),
                node(
                    "Cast",
                    "",
                    &["label"],
                    &["output_label"],
                    vec![test_graphs::int("to", DataType::Int64 as i64)],
                ),
            ],
            "probabilities",
            "output_label",
        );
        let info = inspect(&bytes).unwrap();
        assert_eq!(info.unsupported_operators, vec![]);
        assert_eq!(info.prediction_output.as_deref(), Some("probabilities"));
        assert_eq!(info.task, Some(Task::Classification));
        assert_eq!(info.class_labels, vec!["0", "1"]);

        let model = OnnxModel::load(&bytes).unwrap();
        let names = ["a".to_owned(), "b".to_owned()];
        let (a, b) = ([0.0, 1.0, -1.0], [0.0, 0.5, 2.0]);
        let features = Features::new(&names, vec![&a, &b]).unwrap();
        let Predictions::PositiveProbability(p) = model.predict(&features).unwrap() else {
            panic!("expected probabilities of the positive class");
        };
        // Class 1's score: a + 2b + 0.5; LinearClassifier's LOGISTIC normalizes nothing.
        for (row, p) in p.iter().enumerate() {
            let score = a[row] + 2.0 * b[row] + 0.5;
            let want = 1.0 / (1.0 + (-score).exp());
            assert!((p - want).abs() < 1e-5, "row {row}: {p} vs {want}");
        }
    }

    #[test]
    fn unsupported_operators_are_reported_by_name() {
        let bytes = ending_in_zipmap(
            3,
            vec![
                node(
                    "SVMClassifier",
                    ML,
                    &["X"],
                    &["label", "probabilities"],
                    vec![test_graphs::ints("classlabels_ints", &[0, 1])],
                ),
                node(
                    "Gelu2000",
                    "com.example",
                    &["probabilities"],
                    &["p"],
                    vec![],
                ),
            ],
            "p",
            "label",
        );
        let info = inspect(&bytes).unwrap();
        let names: Vec<String> = info
            .unsupported_operators
            .iter()
            .map(|op| op.to_string())
            .collect();
        assert_eq!(
            names,
            vec!["Gelu2000 (com.example)", "SVMClassifier (ai.onnx.ml)"]
        );
        assert_eq!(info.task, Some(Task::Classification));
        assert_eq!(info.n_features, Some(3));

        let error = OnnxModel::load(&bytes).unwrap_err();
        assert!(matches!(error, PredictError::UnsupportedOperators(_)));
        assert_eq!(
            error.to_string(),
            "The model uses operators that cannot be run here: Gelu2000 (com.example), \
             SVMClassifier (ai.onnx.ml)"
        );
        let api = crate::domain::error::ApiError::from(error);
        assert_eq!(
            (api.status, api.error_code.as_str()),
            (422, "UNSUPPORTED_OPERATORS")
        );
    }

    /// Only what the prediction needs counts: an unsupported operator on the labels' path of a
    /// classifier does not stop feature impact, which reads probabilities.
    #[test]
    fn operators_the_prediction_does_not_need_are_not_reported() {
        let bytes = test_graphs::model(
            2,
            vec![
                linear_classifier(Vec::new()),
                node("LabelEncoder", ML, &["label"], &["named_label"], vec![]),
            ],
            vec![
                tensor("named_label", DataType::String, &[None]),
                tensor("probabilities", DataType::Float, &[None, Some(2)]),
            ],
        );
        let info = inspect(&bytes).unwrap();
        assert_eq!(info.unsupported_operators, vec![]);
        assert_eq!(info.prediction_output.as_deref(), Some("probabilities"));
        assert!(OnnxModel::load(&bytes).is_ok());
    }

    #[test]
    fn corrupted_files_are_errors_not_panics() {
        let bytes =
            std::fs::read(format!("{FIXTURES}/breast_cancer_gradient_boosting.onnx")).unwrap();
        // Not a model at all.
        for garbage in [&b""[..], b"not an onnx model", &[0xff; 64]] {
            let error = OnnxModel::load(garbage).unwrap_err();
            assert!(
                matches!(error, PredictError::InvalidModel(_)),
                "{garbage:?}: {error}"
            );
            assert!(inspect(garbage).is_err());
        }
        // Cut short.
        for len in [10, bytes.len() / 2, bytes.len() - 1] {
            assert!(OnnxModel::load(&bytes[..len]).is_err(), "cut at {len}");
            assert!(inspect(&bytes[..len]).is_err(), "cut at {len}");
        }
        // Bytes overwritten here and there: an error or a model, never a panic.
        for position in (0..bytes.len()).step_by(bytes.len() / 97) {
            let mut damaged = bytes.clone();
            damaged[position] ^= 0x5a;
            let _ = inspect(&damaged);
            if let Ok(model) = OnnxModel::load(&damaged) {
                let names: Vec<String> = (0..model.n_features()).map(|i| i.to_string()).collect();
                let column = [0.5; 4];
                let columns = vec![&column[..]; names.len()];
                let _ = model.predict(&Features::new(&names, columns).unwrap());
            }
        }
    }

    /// tract panics on a graph output that nothing produces.
    #[test]
    fn an_output_nothing_produces_is_an_error_not_a_panic() {
        let bytes = test_graphs::model(
            1,
            vec![node("Identity", "", &["X"], &["Y"], vec![])],
            vec![tensor("Z", DataType::Float, &[None, Some(1)])],
        );
        let error = OnnxModel::load(&bytes).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The file is not a usable ONNX model: the graph's output 'Z' is not produced by any \
             node"
        );
    }

    #[test]
    fn features_must_fit_the_model() {
        let bytes = std::fs::read(format!("{FIXTURES}/diabetes_linear.onnx")).unwrap();
        let model = OnnxModel::load(&bytes).unwrap();
        let names = ["a".to_owned(), "b".to_owned()];
        let column = [1.0, 2.0];
        let features = Features::new(&names, vec![&column, &column]).unwrap();
        let error = model.predict(&features).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The features do not fit the model: the model takes 10 features, the table has 2 \
             columns"
        );
    }

    /// Tables are run in chunks of rows; the chunks must join up in order.
    #[test]
    fn tables_larger_than_one_run_are_predicted_in_order() {
        let bytes = std::fs::read(format!("{FIXTURES}/diabetes_random_forest.onnx")).unwrap();
        let model = OnnxModel::load(&bytes).unwrap();
        let (names, columns) = dataset("diabetes.csv");
        let n = columns[0].len();
        let repeats = ROWS_PER_RUN * 2 / n + 1;
        let long: Vec<Vec<f64>> = columns.iter().map(|c| c.repeat(repeats)).collect();
        let short = model
            .predict(&Features::new(&names, columns.iter().map(Vec::as_slice).collect()).unwrap())
            .unwrap();
        let long = model
            .predict(&Features::new(&names, long.iter().map(Vec::as_slice).collect()).unwrap())
            .unwrap();
        let (Predictions::Values(short), Predictions::Values(long)) = (short, long) else {
            panic!("expected regression values");
        };
        assert!(long.len() > 2 * ROWS_PER_RUN);
        for (row, value) in long.iter().enumerate() {
            assert_eq!(*value, short[row % n], "row {row}");
        }
    }

    #[test]
    fn empty_table_gives_no_predictions() {
        let bytes = std::fs::read(format!("{FIXTURES}/breast_cancer_logistic.onnx")).unwrap();
        let model = OnnxModel::load(&bytes).unwrap();
        let names: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
        let features = Features::new(&names, vec![&[][..]; 30]).unwrap();
        assert_eq!(
            model.predict(&features).unwrap(),
            Predictions::PositiveProbability(vec![])
        );
    }

    #[test]
    fn replacing_a_column_keeps_the_others() {
        let names = ["a".to_owned(), "b".to_owned()];
        let (a, b, shuffled) = ([1.0, 2.0], [3.0, 4.0], [4.0, 3.0]);
        let features = Features::new(&names, vec![&a, &b]).unwrap();
        let swapped = features.with_column(1, &shuffled).unwrap();
        assert_eq!(swapped.columns(), &[&a[..], &shuffled[..]]);
        assert!(features.with_column(2, &shuffled).is_err());
        assert!(features.with_column(0, &[1.0]).is_err());
        assert!(Features::new(&names, vec![&a, &[1.0]]).is_err());
        assert!(Features::new(&names, vec![&a]).is_err());
    }

    /// `Y = X + sum(ConstantOfShape(shape))` with `shape` a stored constant.
    fn constant_of_shape(shape: &[i64]) -> Vec<u8> {
        use tract_onnx::pb::attribute_proto::AttributeType;
        let shape_tensor = pb::TensorProto {
            dims: vec![shape.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: shape.to_vec(),
            ..Default::default()
        };
        let value = pb::AttributeProto {
            name: "value".to_owned(),
            r#type: AttributeType::Tensor as i32,
            t: Some(shape_tensor),
            ..Default::default()
        };
        let nodes = vec![
            node("Constant", "", &[], &["shape"], vec![value]),
            node("ConstantOfShape", "", &["shape"], &["big"], Vec::new()),
            node(
                "ReduceSum",
                "",
                &["big"],
                &["total"],
                vec![test_graphs::int("keepdims", 0)],
            ),
            node("Add", "", &["X", "total"], &["Y"], Vec::new()),
        ];
        test_graphs::model(
            1,
            nodes,
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        )
    }

    #[test]
    fn huge_constants_are_refused_by_name_before_loading() {
        let budget = 256 * 1024 * 1024;
        let error =
            OnnxModel::load_within(&constant_of_shape(&[25_000, 25_000]), budget).unwrap_err();
        assert_eq!(error.error_code(), "MODEL_OVER_BUDGET");
        let message = error.to_string();
        for part in [
            "'ConstantOfShape_big'",
            "25000 × 25000",
            "2.5 GB",
            "256 MiB",
        ] {
            assert!(message.contains(part), "{message}");
        }
        // Past what 64 bits can count.
        let error =
            OnnxModel::load_within(&constant_of_shape(&[1 << 40, 1 << 40]), budget).unwrap_err();
        assert!(
            error.to_string().contains("more than 2^64 bytes"),
            "{error}"
        );
        // A small one loads and runs (the constant is zeros: no value is given).
        let model = OnnxModel::load_within(&constant_of_shape(&[10, 10]), budget).unwrap();
        let names = ["x".to_owned()];
        let features = Features::new(&names, vec![&[1.0, 2.0][..]]).unwrap();
        assert_eq!(
            model.predict(&features).unwrap(),
            Predictions::Values(vec![1.0, 2.0])
        );
    }
}
