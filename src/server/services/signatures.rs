//! A version's signature, read again whenever its files change: the `signature:` of its MLflow
//! `MLmodel` file when it has one, else the inputs and outputs of the ONNX graph it runs (found
//! by the model check, in the model's own process). Files are untrusted: a file that cannot be
//! read leaves the version without a signature and with a note saying why, and never fails the
//! upload.

use crate::domain::model_check::runnable_model_file;
use crate::domain::signature::{Signature, SignatureKind, SignatureSource, parse_mlflow_schema};
use crate::server::services::model_checks;
use crate::server::state::AppState;
use tokio::io::AsyncReadExt;
use yaml_rust2::Yaml;

/// The largest `MLmodel` file read; real ones are a few kilobytes.
pub const MAX_MLMODEL_BYTES: u64 = 1024 * 1024;

/// The file name MLflow gives a model's description.
pub const MLMODEL_FILE: &str = "MLmodel";

/// Whether a change to this file can change the version's signature.
pub fn declares_signature(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == MLMODEL_FILE || crate::domain::model_check::is_checked_model_file(path)
}

/// One side of the signature: absent (`null` or missing), or MLflow's JSON text.
fn schema_side(
    signature: &Yaml,
    side: &str,
) -> Result<Option<(Vec<crate::domain::signature::SignatureField>, SignatureKind)>, String> {
    match &signature[side] {
        Yaml::BadValue | Yaml::Null => Ok(None),
        Yaml::String(json) => parse_mlflow_schema(json)
            .map(Some)
            .map_err(|e| format!("its {side} cannot be read: {e}")),
        _ => Err(format!(
            "its {side} is not the JSON text MLflow writes (a quoted list of fields)"
        )),
    }
}

/// The signature an `MLmodel` file declares: `None` when it declares none; the error says, for
/// people, what is wrong with the file.
pub fn parse_mlmodel(text: &str) -> Result<Option<Signature>, String> {
    let docs = crate::server::yaml::load(text).map_err(|e| match e {
        crate::server::yaml::YamlError::Aliases => {
            "it uses YAML aliases (*name), which MLflow never writes".to_owned()
        }
        crate::server::yaml::YamlError::Invalid(e) => format!("it is not valid YAML ({e})"),
    })?;
    let Some(doc) = docs.first() else {
        return Ok(None);
    };
    if !matches!(doc, Yaml::Hash(_)) {
        return Err("it is not a YAML mapping of fields".to_owned());
    }
    let signature = &doc["signature"];
    match signature {
        Yaml::BadValue | Yaml::Null => return Ok(None),
        Yaml::Hash(_) => {}
        _ => return Err("its signature is not a mapping of inputs and outputs".to_owned()),
    }
    let inputs = schema_side(signature, "inputs")?;
    let outputs = schema_side(signature, "outputs")?;
    if inputs.is_none() && outputs.is_none() {
        return Ok(None);
    }
    let kind = inputs
        .as_ref()
        .or(outputs.as_ref())
        .map(|(_, kind)| *kind)
        .unwrap_or_default();
    Ok(Some(Signature {
        inputs: inputs.map(|(fields, _)| fields).unwrap_or_default(),
        outputs: outputs.map(|(fields, _)| fields).unwrap_or_default(),
        source: SignatureSource::Mlmodel,
        kind,
    }))
}

/// What reading the version's files found: a signature, and a note on a file that could not be
/// read.
#[derive(Debug, Default, PartialEq)]
struct Found {
    signature: Option<Signature>,
    note: Option<String>,
}

async fn read_mlmodel(state: &AppState, path: &str, sha256: &str, size: i64) -> Found {
    if u64::try_from(size).unwrap_or(u64::MAX) > MAX_MLMODEL_BYTES {
        return Found {
            signature: None,
            note: Some(format!(
                "{path} has {size} bytes; MLmodel files over {MAX_MLMODEL_BYTES} bytes are not \
                 read for a signature."
            )),
        };
    }
    let mut bytes = Vec::new();
    let read = match state.blobs.open_blob(sha256).await {
        Ok(file) => file
            .take(MAX_MLMODEL_BYTES)
            .read_to_end(&mut bytes)
            .await
            .map(drop),
        Err(e) => Err(e),
    };
    if let Err(e) = read {
        tracing::error!(path, error = %e, "reading an MLmodel file");
        return Found {
            signature: None,
            note: Some(format!("{path} could not be read from storage.")),
        };
    }
    let parsed = match String::from_utf8(bytes) {
        Ok(text) => parse_mlmodel(&text),
        Err(_) => Err("it is not UTF-8 text".to_owned()),
    };
    match parsed {
        Ok(signature) => Found {
            signature,
            note: None,
        },
        Err(e) => Found {
            signature: None,
            note: Some(format!(
                "The signature in {path} could not be read: {e}. Write the file with MLflow \
                 (mlflow.models.infer_signature), or fix it and upload it again."
            )),
        },
    }
}

async fn find_signature(state: &AppState, version_id: &str) -> Result<Found, sqlx::Error> {
    let files: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT path, sha256, size FROM version_files WHERE version_id = $1 ORDER BY path",
    )
    .bind(version_id)
    .fetch_all(&state.db)
    .await?;
    let mlmodel = files
        .iter()
        .filter(|(path, _, _)| path.rsplit('/').next() == Some(MLMODEL_FILE))
        .min_by_key(|(path, _, _)| (path.matches('/').count(), path.clone()));
    let mut found = match mlmodel {
        Some((path, sha256, size)) => read_mlmodel(state, path, sha256, *size).await,
        None => Found::default(),
    };
    if found.signature.is_some() {
        return Ok(found);
    }
    let model = runnable_model_file(files.iter().map(|(path, _, _)| path.as_str()))
        .and_then(|chosen| files.iter().find(|(path, _, _)| path == chosen));
    if let Some((path, sha256, size)) = model {
        let size = u64::try_from(*size).unwrap_or(0);
        match model_checks::check_blob(state, sha256, size).await {
            Ok(check) => match check.signature {
                Some(signature) => found.signature = Some(signature),
                None if found.note.is_none() => {
                    found.note = Some(format!(
                        "No signature was read from {path}: {}",
                        check.message
                    ));
                }
                None => {}
            },
            Err(e) => tracing::error!(error = ?e, path, "checking a model file for its signature"),
        }
    }
    Ok(found)
}

/// Reads the version's signature from its files again and stores it. Failing is logged, never
/// refused: the change to the files itself succeeded.
pub async fn refresh_signature(state: &AppState, version_id: &str) {
    let found = match find_signature(state, version_id).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "listing files to read a signature from");
            return;
        }
    };
    let signature = found
        .signature
        .as_ref()
        .and_then(|s| serde_json::to_string(s).ok());
    if let Err(e) =
        sqlx::query("UPDATE versions SET signature = $1, signature_note = $2 WHERE id = $3")
            .bind(signature)
            .bind(found.note)
            .bind(version_id)
            .execute(&state.db)
            .await
    {
        tracing::error!(error = %e, "storing a version's signature");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::signature::Dim;

    const COLUMNS: &str = r#"artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.11.4
mlflow_version: 2.9.2
signature:
  inputs: '[{"type": "double", "name": "age", "required": true}, {"type": "double",
    "name": "bmi", "required": true}, {"type": "string", "name": "sex", "required": false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
"#;

    #[test]
    fn a_column_signature_is_read_from_yaml_with_folded_json() {
        let signature = parse_mlmodel(COLUMNS).ok().flatten();
        let Some(signature) = signature else {
            panic!("no signature read");
        };
        assert_eq!(signature.source, SignatureSource::Mlmodel);
        assert_eq!(signature.kind, SignatureKind::Columns);
        let names: Vec<_> = signature
            .inputs
            .iter()
            .map(|f| (f.name.as_deref(), f.r#type.as_str(), f.optional))
            .collect();
        assert_eq!(
            names,
            [
                (Some("age"), "double", false),
                (Some("bmi"), "double", false),
                (Some("sex"), "string", true)
            ]
        );
        assert_eq!(signature.outputs[0].r#type, "float64");
        assert_eq!(signature.outputs[0].shape, Some(vec![Dim::Unknown]));
        assert_eq!(signature.required_columns(), Some(vec!["age", "bmi"]));
    }

    #[test]
    fn a_tensor_signature_is_read() {
        let text = "signature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 28, 28]}}]'\n";
        let signature = parse_mlmodel(text).ok().flatten();
        assert_eq!(
            signature.as_ref().map(|s| (s.kind, s.inputs[0].describe())),
            Some((SignatureKind::Tensors, "float32 [?, 28, 28]".to_owned()))
        );
        assert_eq!(signature.map(|s| s.outputs.len()), Some(0));
    }

    #[test]
    fn files_without_a_signature_have_none() {
        assert_eq!(parse_mlmodel(""), Ok(None));
        assert_eq!(parse_mlmodel("flavors:\n  python_function: {}\n"), Ok(None));
        assert_eq!(parse_mlmodel("signature: null\n"), Ok(None));
        assert_eq!(parse_mlmodel("signature:\n  params: null\n"), Ok(None));
    }

    #[test]
    fn malformed_files_are_explained_not_panicked_on() {
        let error = |text: &str| parse_mlmodel(text).err().unwrap_or_default();
        assert!(error("signature: [unclosed").contains("not valid YAML"));
        assert!(error("- a\n- b\n").contains("not a YAML mapping"));
        assert!(error("signature: 3\n").contains("not a mapping"));
        assert!(error("signature:\n  inputs: '[{\"type\": '\n").contains("inputs cannot be read"));
        assert!(error("signature:\n  inputs:\n    - name: x\n").contains("not the JSON text"));
        assert!(
            error("signature:\n  outputs: '[{\"name\": \"y\"}]'\n")
                .contains("outputs cannot be read")
        );
        // Deep nesting and alias bombs stay bounded.
        let deep = format!("signature: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_mlmodel(&deep).is_err());
        let bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nsignature: *c\n";
        assert!(error(bomb).contains("aliases"));
    }

    #[test]
    fn only_mlmodel_and_onnx_files_declare_signatures() {
        assert!(declares_signature("MLmodel"));
        assert!(declares_signature("model/MLmodel"));
        assert!(declares_signature("model.onnx"));
        assert!(!declares_signature("MLmodel.txt"));
        assert!(!declares_signature("requirements.txt"));
    }
}
