//! What checking an uploaded model file found: whether it loads here, and if not, why — named
//! operators the runtime lacks, or a file that is not a usable model.

use serde::{Deserialize, Serialize};

/// File names checked as models.
pub fn is_checked_model_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.to_ascii_lowercase().ends_with(".onnx"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The model loads and can be run here (feature impact in-process).
    Ok,
    /// A valid model that cannot be run here (operators missing, or an input shape not handled).
    Unsupported,
    /// Not a usable model file.
    Invalid,
    /// Larger than what is checked on upload.
    NotChecked,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCheck {
    pub status: CheckStatus,
    /// One sentence for people.
    pub message: String,
    /// Operators the runtime lacks, e.g. `SVMClassifier (ai.onnx.ml)`.
    #[serde(default)]
    pub unsupported_operators: Vec<String>,
    /// `regression` or `classification`, as far as the file tells.
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub n_features: Option<usize>,
    #[serde(default)]
    pub class_labels: Vec<String>,
}

impl ModelCheck {
    pub fn can_run(&self) -> bool {
        self.status == CheckStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onnx_files_are_checked_by_name() {
        assert!(is_checked_model_file("model.onnx"));
        assert!(is_checked_model_file("export/Model.ONNX"));
        assert!(!is_checked_model_file("model.onnx.txt"));
        assert!(!is_checked_model_file("onnx/weights.bin"));
    }
}
