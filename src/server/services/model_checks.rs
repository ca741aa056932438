//! Checking uploaded model files: an ONNX file is loaded once per content (the check is keyed by
//! its SHA-256), in a process of its own with a memory and time budget, and what was found — it
//! runs here, the operators it lacks, or why it is not a usable model — is shown with the file
//! and decides whether feature impact can run the ONNX file itself.

use crate::domain::model_check::{CheckStatus, ModelCheck, is_checked_model_file};
use crate::domain::signature::{Signature, SignatureKind, SignatureSource};
use crate::server::db;
use crate::server::error::{AppError, AppResult};
use crate::server::predict::{ModelInfo, PredictError, RunnerLimits, Task, runner};
use crate::server::state::AppState;
use std::collections::HashMap;

/// Model files larger than this are not loaded on upload (they are checked when feature impact
/// needs them).
pub const MAX_CHECKED_BYTES: u64 = 512 * 1024 * 1024;

fn describe(info: Option<&ModelInfo>, result: Result<(), PredictError>) -> ModelCheck {
    let task = info.and_then(|i| i.task).map(|t| match t {
        Task::Regression => "regression".to_owned(),
        Task::Classification => "classification".to_owned(),
    });
    let mut check = ModelCheck {
        status: CheckStatus::Ok,
        message: String::new(),
        unsupported_operators: Vec::new(),
        task,
        n_features: info.and_then(|i| i.n_features),
        class_labels: info.map(|i| i.class_labels.clone()).unwrap_or_default(),
        signature: info.map(|i| Signature {
            inputs: i.input_specs.clone(),
            outputs: i.output_specs.clone(),
            source: SignatureSource::Onnx,
            kind: SignatureKind::Tensors,
        }),
    };
    match result {
        Ok(()) => {
            check.message = match check.n_features {
                Some(n) => format!("The model loads and can be run here ({n} features)."),
                None => "The model loads and can be run here.".to_owned(),
            };
        }
        Err(e) => {
            check.status = match e {
                PredictError::InvalidModel(_) => CheckStatus::Invalid,
                _ => CheckStatus::Unsupported,
            };
            if let PredictError::UnsupportedOperators(ops) = &e {
                check.unsupported_operators = ops.iter().map(ToString::to_string).collect();
            }
            check.message = e.to_string();
        }
    }
    check
}

/// Loads the model in a process of its own, within `limits`, and says what was found, and
/// whether that is a lasting finding about the file (not, say, a process that could not start).
/// Blocking: call it from `spawn_blocking`.
pub fn check_file(path: &std::path::Path, limits: &RunnerLimits) -> (ModelCheck, bool) {
    let opened = runner::open(path, limits);
    // Loading a model never fails with `Prediction`: only its process does.
    let lasting = !matches!(opened.model, Err(PredictError::Prediction(_)));
    (
        describe(opened.info.as_ref(), opened.model.map(drop)),
        lasting,
    )
}

fn not_checked(size: u64) -> ModelCheck {
    ModelCheck {
        status: CheckStatus::NotChecked,
        message: format!(
            "The file has {size} bytes; model files over {MAX_CHECKED_BYTES} bytes are not \
             checked on upload."
        ),
        unsupported_operators: Vec::new(),
        task: None,
        n_features: None,
        class_labels: Vec::new(),
        signature: None,
    }
}

/// The stored check of a blob, running it first if it was never checked (or was checked before
/// signatures were read).
pub async fn check_blob(state: &AppState, sha256: &str, size: u64) -> AppResult<ModelCheck> {
    let stored: Option<(String,)> =
        sqlx::query_as("SELECT result FROM model_checks WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&state.db)
            .await?;
    if let Some(check) = stored.and_then(|(r,)| serde_json::from_str::<ModelCheck>(&r).ok())
        && !check.lacks_signature()
    {
        return Ok(check);
    }
    if size > MAX_CHECKED_BYTES {
        return Ok(not_checked(size));
    }
    let file = state
        .blobs
        .local_file(sha256)
        .await
        .map_err(|e| AppError::Internal(format!("reading blob {sha256}: {e}")))?;
    let limits = state.settings.model_limits.clone();
    // `file` moves along, so a cached copy stays while the model's process reads it.
    let (check, lasting) = tokio::task::spawn_blocking(move || check_file(file.path(), &limits))
        .await
        .map_err(|e| AppError::Internal(format!("checking a model file: {e}")))?;
    if !lasting {
        tracing::warn!(sha256, message = %check.message, "a model file could not be checked");
        return Ok(check);
    }
    sqlx::query(
        "INSERT INTO model_checks (sha256, result, checked_at) VALUES ($1, $2, $3)
         ON CONFLICT (sha256) DO UPDATE SET result = excluded.result, checked_at = excluded.checked_at",
    )
    .bind(sha256)
    .bind(serde_json::to_string(&check).map_err(|e| AppError::Internal(e.to_string()))?)
    .bind(db::now())
    .execute(&state.db)
    .await?;
    Ok(check)
}

/// Checks every model file of a version not checked yet. Failing to check is logged, never
/// refused: the upload itself succeeded.
pub async fn check_version_files(state: &AppState, version_id: &str) {
    let files: Result<Vec<(String, String, i64)>, sqlx::Error> = sqlx::query_as(
        "SELECT f.path, f.sha256, f.size FROM version_files f
         WHERE f.version_id = $1 AND NOT EXISTS (SELECT 1 FROM model_checks c WHERE c.sha256 = f.sha256)",
    )
    .bind(version_id)
    .fetch_all(&state.db)
    .await;
    let files = match files {
        Ok(files) => files,
        Err(e) => {
            tracing::error!(error = %e, "listing model files to check");
            return;
        }
    };
    for (path, sha256, size) in files {
        if !is_checked_model_file(&path) {
            continue;
        }
        if let Err(e) = check_blob(state, &sha256, u64::try_from(size).unwrap_or(0)).await {
            tracing::error!(error = ?e, path, "checking a model file");
        }
    }
}

/// A stored check, as read next to a file row.
pub fn parse(result: Option<&str>) -> Option<ModelCheck> {
    result.and_then(|r| serde_json::from_str(r).ok())
}

/// The stored checks of a version's files, by SHA-256.
pub async fn checks_of(
    pool: &sqlx::AnyPool,
    version_id: &str,
) -> AppResult<HashMap<String, ModelCheck>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.sha256, c.result FROM model_checks c
         WHERE c.sha256 IN (SELECT sha256 FROM version_files WHERE version_id = $1)",
    )
    .bind(version_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(sha, r)| serde_json::from_str(&r).ok().map(|c| (sha, c)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::predict::{OnnxModel, inspect};

    /// What the model's process would report, found in this process.
    fn check_bytes(bytes: &[u8]) -> ModelCheck {
        describe(
            inspect(bytes).ok().as_ref(),
            OnnxModel::load(bytes).map(drop),
        )
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/fixtures/feature_impact/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap_or_default()
    }

    #[test]
    fn a_fixture_model_runs_here() {
        let check = check_bytes(&fixture("diabetes_linear.onnx"));
        assert_eq!(check.status, CheckStatus::Ok, "{}", check.message);
        assert_eq!(check.n_features, Some(10));
        assert_eq!(check.task.as_deref(), Some("regression"));
        let signature = check.signature.unwrap_or_else(|| panic!("no signature"));
        assert_eq!(signature.source, SignatureSource::Onnx);
        assert_eq!(signature.inputs.len(), 1);
        assert_eq!(signature.inputs[0].r#type, "float32");
        assert_eq!(
            signature.inputs[0].shape.as_ref().and_then(|s| s.get(1)),
            Some(&crate::domain::signature::Dim::Fixed(10))
        );
        assert_eq!(signature.required_columns(), None);
    }

    #[test]
    fn garbage_is_an_invalid_model() {
        let check = check_bytes(b"not a model at all");
        assert_eq!(check.status, CheckStatus::Invalid);
        assert!(check.message.contains("not a usable ONNX model"));
    }
}
