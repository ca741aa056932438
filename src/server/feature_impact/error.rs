//! Why feature impact could not be computed, in words for the person who asked for it.

use crate::domain::error::{ApiError, Code, codes};
use crate::server::predict::PredictError;

/// Everything that stops a feature-impact computation. Each variant becomes a 422 with its own
/// `error_code` and a `solution_msg` (see [`FeatureImpactError::error_code`]), except
/// [`FeatureImpactError::Canceled`], which is not a failure of the input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FeatureImpactError {
    /// The data file could not be opened or read.
    #[error("The training data cannot be read: {0}")]
    Unreadable(String),
    /// The file is not CSV as we read it (bad quoting, not UTF-8, …).
    #[error("The training data is not a valid CSV file at line {line}: {message}")]
    MalformedCsv { line: u64, message: String },
    /// A row has more or fewer cells than the header.
    #[error("Line {line} of the training data has {cells} cells; the header has {expected}.")]
    RaggedRow {
        line: u64,
        cells: usize,
        expected: usize,
    },
    /// No header row, or a header with an empty or repeated name.
    #[error("The training data's header is not usable: {0}")]
    BadHeader(String),
    #[error("The training data has no column named '{target}' (its columns: {columns}).")]
    TargetNotFound { target: String, columns: String },
    #[error("The training data has no feature columns besides the target '{0}'.")]
    NoFeatures(String),
    /// Regression needs numbers in the target column.
    #[error("Line {line}: the target '{target}' holds '{value}', which is not a number.")]
    TargetNotNumeric {
        line: u64,
        target: String,
        value: String,
    },
    /// A binary target must have exactly two classes, a multiclass one at least two.
    #[error("{0}")]
    WrongClassCount(String),
    /// Every row lacked a target value.
    #[error(
        "The training data has no rows with a value in the target '{target}' ({skipped} rows \
         without one)."
    )]
    NoRows { target: String, skipped: u64 },
    /// Row count or repeats out of range.
    #[error("{0}")]
    InvalidSettings(String),
    /// A model that takes numbers only was given a categorical or text column.
    #[error(
        "The feature '{column}' holds {kind} values; the model can only be given numbers (an \
         ONNX model takes numeric features)."
    )]
    NonNumericFeature { column: String, kind: &'static str },
    /// The model's input width differs from the number of feature columns.
    #[error(
        "The model takes {model} features, the training data has {table} feature columns \
         (every column except the target '{target}')."
    )]
    FeatureCountMismatch {
        model: usize,
        table: usize,
        target: String,
    },
    /// The model's predictions do not fit the task (probabilities for a regression target,
    /// another number of classes, values outside 0..1, NaN, …).
    #[error("{0}")]
    UnusablePredictions(String),
    /// The model (in-process or on a prediction server) failed.
    #[error(transparent)]
    Predict(#[from] PredictError),
    /// The caller asked to stop (the progress callback returned `ControlFlow::Break`).
    #[error("The computation was canceled.")]
    Canceled,
}

impl FeatureImpactError {
    pub fn error_code(&self) -> Code {
        match self {
            FeatureImpactError::Unreadable(_) => codes::TRAINING_DATA_UNREADABLE,
            FeatureImpactError::MalformedCsv { .. } => codes::INVALID_CSV,
            FeatureImpactError::RaggedRow { .. } => codes::RAGGED_CSV_ROW,
            FeatureImpactError::BadHeader(_) => codes::INVALID_CSV_HEADER,
            FeatureImpactError::TargetNotFound { .. } => codes::TARGET_NOT_FOUND,
            FeatureImpactError::NoFeatures(_) => codes::NO_FEATURES,
            FeatureImpactError::TargetNotNumeric { .. } => codes::TARGET_NOT_NUMERIC,
            FeatureImpactError::WrongClassCount(_) => codes::WRONG_CLASS_COUNT,
            FeatureImpactError::NoRows { .. } => codes::NO_ROWS_WITH_TARGET,
            FeatureImpactError::InvalidSettings(_) => codes::INVALID_FEATURE_IMPACT_SETTINGS,
            FeatureImpactError::NonNumericFeature { .. } => codes::NON_NUMERIC_FEATURE,
            FeatureImpactError::FeatureCountMismatch { .. } => codes::FEATURE_COUNT_MISMATCH,
            FeatureImpactError::UnusablePredictions(_) => codes::UNUSABLE_PREDICTIONS,
            FeatureImpactError::Predict(e) => e.error_code(),
            FeatureImpactError::Canceled => codes::CANCELED,
        }
    }

    pub fn solution(&self) -> &'static str {
        match self {
            FeatureImpactError::Unreadable(_) => {
                "Upload the training data again; if that does not help, an administrator should \
                 check the server's storage."
            }
            FeatureImpactError::MalformedCsv { .. } | FeatureImpactError::RaggedRow { .. } => {
                "Fix that line (every row needs as many cells as the header; quote cells that \
                 hold commas) and upload the data again."
            }
            FeatureImpactError::BadHeader(_) => {
                "Give the file a first row naming every column once, then upload it again."
            }
            FeatureImpactError::TargetNotFound { .. } => {
                "Set the model's target name to one of the dataset's columns, or assign the \
                 training data the model was trained on."
            }
            FeatureImpactError::NoFeatures(_) => {
                "Assign training data with the model's feature columns as well as its target."
            }
            FeatureImpactError::TargetNotNumeric { .. } => {
                "A regression target needs numbers (or an empty cell for a missing value); fix \
                 the data, or set the model's target type to binary or multiclass."
            }
            FeatureImpactError::WrongClassCount(_) => {
                "Check the model's target type (binary for two classes, multiclass for more) \
                 and that the training data holds every class."
            }
            FeatureImpactError::NoRows { .. } => {
                "Assign training data that has values in the target column."
            }
            FeatureImpactError::InvalidSettings(_) => {
                "Pick a row count and a number of repeats within the limits."
            }
            FeatureImpactError::NonNumericFeature { .. } => {
                "Encode the column as numbers in the training data (and the model), or compute \
                 feature impact with a prediction server, which is sent the values as text."
            }
            FeatureImpactError::FeatureCountMismatch { .. } => {
                "Use training data with exactly the model's feature columns, in the order it was \
                 trained on, plus the target."
            }
            FeatureImpactError::UnusablePredictions(_) => {
                "Check the model's target type and class labels against what the model predicts."
            }
            FeatureImpactError::Predict(e) => e.solution(),
            FeatureImpactError::Canceled => "Start the computation again if you still need it.",
        }
    }

    /// The computation was stopped on request rather than failing.
    pub fn is_canceled(&self) -> bool {
        matches!(self, FeatureImpactError::Canceled)
    }
}

impl From<FeatureImpactError> for ApiError {
    fn from(e: FeatureImpactError) -> Self {
        let status = if e.is_canceled() { 409 } else { 422 };
        ApiError::new(status, e.error_code(), e.to_string(), e.solution())
    }
}
