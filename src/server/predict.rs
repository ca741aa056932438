//! Predictions for feature impact: the [`Predictor`] a permutation-importance job calls, the
//! table of feature columns it passes in, and its backends: ONNX models run in-process
//! ([`onnx`]) and prediction servers speaking the custom-model protocol ([`remote`]), plus a
//! prediction server for an ONNX model ([`serve`]). Uploaded models are loaded and run by
//! [`runner`], in a child process with a memory and time budget, never in the server itself.
//!
//! Predicting is CPU-bound (or waits on a server) and synchronous; async callers run it in
//! `spawn_blocking`.

pub mod onnx;
mod ops;
pub mod remote;
pub mod runner;
pub mod serve;
#[cfg(test)]
mod test_graphs;

pub use onnx::{ModelInfo, OnnxModel, Operator, inspect};
pub use remote::{RemoteOptions, RemotePredictor};
pub use runner::{IsolatedModel, RunnerLimits};

use crate::domain::error::{ApiError, Code, codes};
use std::fmt;

/// Something that turns rows of features into predictions.
pub trait Predictor: Send + Sync {
    /// Predicts every row of `features`. Columns must be in the order the model expects.
    fn predict(&self, features: &Features<'_>) -> Result<Predictions, PredictError>;

    /// The number of feature columns the model takes, when that is known before predicting (so
    /// a mismatch can be reported before any work is done).
    fn input_width(&self) -> Option<usize> {
        None
    }

    /// Whether categorical and text columns can be passed (as their values); when not, every
    /// column must be numeric.
    fn accepts_text(&self) -> bool {
        false
    }
}

/// What a model predicts, as far as its file tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Task {
    Regression,
    Classification,
}

/// A table of feature columns, borrowed: permutation importance predicts the same table many
/// times with one column swapped for a shuffled copy, and that must not copy the other columns.
///
/// Every column is a slice of `f64`. A categorical or text column is dictionary-encoded: it comes
/// with its distinct values ([`Features::categories`]) and holds, per row, the index of the row's
/// value among them (`NaN` when missing). A shuffled copy of such a column is then a shuffled
/// slice of indices, like any other column, and backends that only take numbers can refuse it by
/// name.
#[derive(Clone, Debug)]
pub struct Features<'a> {
    names: &'a [String],
    columns: Vec<&'a [f64]>,
    categories: Vec<Option<&'a [String]>>,
    n_rows: usize,
}

impl<'a> Features<'a> {
    /// Numeric columns, one per name, all of the same length. Missing values are `NaN`.
    pub fn new(names: &'a [String], columns: Vec<&'a [f64]>) -> Result<Self, PredictError> {
        let categories = vec![None; columns.len()];
        Self::with_categories(names, columns, categories)
    }

    /// Columns one per name, all of the same length; `categories[i]` is `Some(values)` when
    /// column `i` is categorical or text, and the column then holds indices into `values` (or
    /// `NaN` for a missing value).
    pub fn with_categories(
        names: &'a [String],
        columns: Vec<&'a [f64]>,
        categories: Vec<Option<&'a [String]>>,
    ) -> Result<Self, PredictError> {
        if names.len() != columns.len() || categories.len() != columns.len() {
            return Err(PredictError::InvalidFeatures(format!(
                "{} feature names for {} columns",
                names.len(),
                columns.len()
            )));
        }
        let n_rows = columns.first().map_or(0, |c| c.len());
        if let Some((name, column)) = names.iter().zip(&columns).find(|(_, c)| c.len() != n_rows) {
            return Err(PredictError::InvalidFeatures(format!(
                "column '{name}' has {} rows, the first column has {n_rows}",
                column.len()
            )));
        }
        for ((name, column), values) in names.iter().zip(&columns).zip(&categories) {
            if let Some(values) = values
                && let Some(code) = column.iter().find(|c| {
                    !c.is_nan() && (c.fract() != 0.0 || **c < 0.0 || **c >= values.len() as f64)
                })
            {
                return Err(PredictError::InvalidFeatures(format!(
                    "column '{name}' holds {code}, which is not the index of one of its {} values",
                    values.len()
                )));
            }
        }
        Ok(Self {
            names,
            columns,
            categories,
            n_rows,
        })
    }

    /// The same table with column `index` replaced by `values` (e.g. a shuffled copy). For a
    /// categorical column, `values` are indices into the same categories (a shuffled copy of the
    /// column is).
    pub fn with_column<'b>(
        &self,
        index: usize,
        values: &'b [f64],
    ) -> Result<Features<'b>, PredictError>
    where
        'a: 'b,
    {
        if index >= self.columns.len() {
            return Err(PredictError::InvalidFeatures(format!(
                "no column {index}: the table has {}",
                self.columns.len()
            )));
        }
        if values.len() != self.n_rows {
            return Err(PredictError::InvalidFeatures(format!(
                "the replacement for column '{}' has {} rows, the table has {}",
                self.names[index],
                values.len(),
                self.n_rows
            )));
        }
        let mut columns: Vec<&'b [f64]> = self.columns.clone();
        columns[index] = values;
        Ok(Features {
            names: self.names,
            columns,
            categories: self.categories.clone(),
            n_rows: self.n_rows,
        })
    }

    pub fn names(&self) -> &'a [String] {
        self.names
    }

    pub fn columns(&self) -> &[&'a [f64]] {
        &self.columns
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The distinct values of column `index` when it is categorical or text; `None` for a
    /// numeric column (or no such column).
    pub fn categories(&self, index: usize) -> Option<&'a [String]> {
        self.categories.get(index).copied().flatten()
    }

    /// The name of the first categorical or text column, if there is one.
    pub fn first_non_numeric(&self) -> Option<&'a str> {
        let names = self.names;
        names
            .iter()
            .zip(&self.categories)
            .find(|(_, c)| c.is_some())
            .map(|(name, _)| name.as_str())
    }
}

/// A model's predictions, one entry (or one row of entries) per input row.
#[derive(Clone, Debug, PartialEq)]
pub enum Predictions {
    /// Regression: the predicted value.
    Values(Vec<f64>),
    /// Binary classification: the probability of the positive class (the second of the model's
    /// two classes, e.g. `1` of `[0, 1]`).
    PositiveProbability(Vec<f64>),
    /// More than two classes: `n_classes` probabilities per row, row after row, in the order of
    /// the model's class labels.
    ClassProbabilities {
        n_classes: usize,
        probabilities: Vec<f64>,
    },
}

impl Predictions {
    pub fn n_rows(&self) -> usize {
        match self {
            Predictions::Values(v) | Predictions::PositiveProbability(v) => v.len(),
            Predictions::ClassProbabilities {
                n_classes,
                probabilities,
            } => probabilities.len().checked_div(*n_classes).unwrap_or(0),
        }
    }
}

/// Why a model could not be loaded or could not predict. The messages are meant for the person
/// who uploaded the model.
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum PredictError {
    /// The bytes are not an ONNX model, or one the runtime cannot make sense of.
    #[error("The file is not a usable ONNX model: {0}")]
    InvalidModel(String),
    /// The model needs operators the runtime does not have.
    #[error("The model uses operators that cannot be run here: {}", OperatorList(.0))]
    UnsupportedOperators(Vec<Operator>),
    /// A valid model of a shape we do not run (several inputs, integer inputs, …).
    #[error("The model cannot be run here: {0}")]
    UnsupportedModel(String),
    /// The table handed in does not fit the model.
    #[error("The features do not fit the model: {0}")]
    InvalidFeatures(String),
    /// The runtime failed while predicting.
    #[error("The model failed while predicting: {0}")]
    Prediction(String),
    /// Loading or running the model needs more memory or time than a model may take here; the
    /// message names what was refused.
    #[error("The model needs more than this server allows a model: {0}")]
    OverBudget(String),
    /// A prediction server's URL is not usable.
    #[error("{0}")]
    InvalidUrl(String),
    /// A prediction server could not be reached (refused, timed out, name unknown).
    #[error("{0}")]
    Unreachable(String),
    /// A prediction server answered, but not with usable predictions.
    #[error("{0}")]
    Server(String),
}

impl PredictError {
    pub fn error_code(&self) -> Code {
        match self {
            PredictError::InvalidModel(_) => codes::INVALID_MODEL_FILE,
            PredictError::UnsupportedOperators(_) => codes::UNSUPPORTED_OPERATORS,
            PredictError::UnsupportedModel(_) => codes::UNSUPPORTED_MODEL,
            PredictError::InvalidFeatures(_) => codes::FEATURES_DO_NOT_FIT_MODEL,
            PredictError::Prediction(_) => codes::PREDICTION_FAILED,
            PredictError::OverBudget(_) => codes::MODEL_OVER_BUDGET,
            PredictError::InvalidUrl(_) => codes::INVALID_PREDICTION_URL,
            PredictError::Unreachable(_) => codes::PREDICTION_SERVER_UNREACHABLE,
            PredictError::Server(_) => codes::PREDICTION_SERVER_ERROR,
        }
    }

    pub fn solution(&self) -> &'static str {
        match self {
            PredictError::InvalidModel(_) => {
                "Check that the file is a complete ONNX model (e.g. re-export it with skl2onnx)."
            }
            PredictError::UnsupportedOperators(_) => {
                "Export the model without these operators, or compute feature impact with a \
                 prediction server or import it."
            }
            PredictError::UnsupportedModel(_) => {
                "Export the model with a single float input of shape [rows, features], or \
                 compute feature impact with a prediction server."
            }
            PredictError::InvalidFeatures(_) => {
                "Use a dataset with the model's feature columns, in the order it was trained on."
            }
            PredictError::Prediction(_) => {
                "Check the model with onnxruntime on the same data, or compute feature impact \
                 with a prediction server."
            }
            PredictError::OverBudget(_) => {
                "Export a smaller model (or one that does not build large constant tensors), or \
                 ask an admin to raise --model-memory-bytes or --model-timeout-seconds."
            }
            PredictError::InvalidUrl(_) => {
                "Give the prediction server's base URL, e.g. http://host:8080/ (the endpoints \
                 {prefix}/ and {prefix}/predict_no_state/ are below it)."
            }
            PredictError::Unreachable(_) => {
                "Start the prediction server, or check the URL (scheme, host, port and prefix)."
            }
            PredictError::Server(_) => {
                "Check the prediction server's log, and that it speaks the custom-model protocol: \
                 POST {prefix}/predict_no_state/ with {\"X\": {column: [values]}} answering \
                 {\"predictions\": [...]}, one per row."
            }
        }
    }
}

impl From<PredictError> for ApiError {
    fn from(e: PredictError) -> Self {
        ApiError::new(422, e.error_code(), e.to_string(), e.solution())
    }
}

struct OperatorList<'a>(&'a [Operator]);

impl fmt::Display for OperatorList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, op) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{op}")?;
        }
        Ok(())
    }
}
