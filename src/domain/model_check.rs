//! What checking an uploaded model file found: whether it loads here, and if not, why — named
//! operators the runtime lacks, or a file that is not a usable model.

use super::signature::Signature;
use serde::{Deserialize, Serialize};

/// File names checked as models.
pub fn is_checked_model_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|name| name.to_ascii_lowercase().ends_with(".onnx"))
}

/// The model file a version runs: its only ONNX file, or the one named `model.onnx` among
/// several. `None` when there is none, or several and none of them is `model.onnx`.
pub fn runnable_model_file<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let models: Vec<&str> = paths
        .into_iter()
        .filter(|p| is_checked_model_file(p))
        .collect();
    match models[..] {
        [only] => Some(only),
        _ => models
            .into_iter()
            .find(|p| p.rsplit('/').next() == Some("model.onnx")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// The graph's inputs and outputs, when the file could be read as an ONNX graph. A check
    /// stored before signatures were read has none (see [`ModelCheck::lacks_signature`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

impl ModelCheck {
    pub fn can_run(&self) -> bool {
        self.status == CheckStatus::Ok
    }

    /// A check that read the graph but holds no signature was stored before signatures were
    /// read, and is worth making again. (A model whose process died while loading it tells
    /// nothing about its graph: checking it again would find nothing more.)
    pub fn lacks_signature(&self) -> bool {
        let read_the_graph = self.status == CheckStatus::Ok
            || (self.status == CheckStatus::Unsupported
                && (self.task.is_some()
                    || self.n_features.is_some()
                    || !self.unsupported_operators.is_empty()));
        self.signature.is_none() && read_the_graph
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

    #[test]
    fn the_runnable_file_is_the_only_one_or_model_onnx() {
        assert_eq!(
            runnable_model_file(["README.md", "m/net.onnx"]),
            Some("m/net.onnx")
        );
        assert_eq!(
            runnable_model_file(["a.onnx", "x/model.onnx", "b.onnx"]),
            Some("x/model.onnx")
        );
        assert_eq!(runnable_model_file(["a.onnx", "b.onnx"]), None);
        assert_eq!(runnable_model_file(["README.md"]), None);
    }
}
