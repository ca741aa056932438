//! Predictions for feature impact: the [`Predictor`] a permutation-importance job calls, the
//! table of feature columns it passes in, and the in-process ONNX backend.
//!
//! Predicting is CPU-bound and synchronous; async callers run it in `spawn_blocking`.

pub mod onnx;
mod ops;
#[cfg(test)]
mod test_graphs;

pub use onnx::{ModelInfo, OnnxModel, Operator, inspect};

use crate::domain::error::ApiError;
use std::fmt;

/// Something that turns rows of features into predictions.
pub trait Predictor: Send + Sync {
    /// Predicts every row of `features`. Columns must be in the order the model expects.
    fn predict(&self, features: &Features<'_>) -> Result<Predictions, PredictError>;
}

/// What a model predicts, as far as its file tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    Regression,
    Classification,
}

/// A table of feature columns, borrowed: permutation importance predicts the same table many
/// times with one column swapped for a shuffled copy, and that must not copy the other columns.
#[derive(Clone, Debug)]
pub struct Features<'a> {
    names: &'a [String],
    columns: Vec<&'a [f64]>,
    n_rows: usize,
}

impl<'a> Features<'a> {
    /// One column per name, all of the same length. Missing values are `NaN`.
    pub fn new(names: &'a [String], columns: Vec<&'a [f64]>) -> Result<Self, PredictError> {
        if names.len() != columns.len() {
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
        Ok(Self {
            names,
            columns,
            n_rows,
        })
    }

    /// The same table with column `index` replaced by `values` (e.g. a shuffled copy).
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
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
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
}

impl PredictError {
    pub fn error_code(&self) -> &'static str {
        match self {
            PredictError::InvalidModel(_) => "INVALID_MODEL_FILE",
            PredictError::UnsupportedOperators(_) => "UNSUPPORTED_OPERATORS",
            PredictError::UnsupportedModel(_) => "UNSUPPORTED_MODEL",
            PredictError::InvalidFeatures(_) => "FEATURES_DO_NOT_FIT_MODEL",
            PredictError::Prediction(_) => "PREDICTION_FAILED",
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
