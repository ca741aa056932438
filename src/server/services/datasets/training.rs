//! The training and holdout data assigned to versions.

use super::*;
use crate::domain::error::codes;

pub(super) fn target_not_in(dataset: &DatasetRow, target: &str, field: &str) -> Option<ApiError> {
    let columns: Vec<crate::domain::dataset::Column> =
        serde_json::from_str(&dataset.columns).unwrap_or_default();
    if columns.iter().any(|c| c.name == target) {
        return None;
    }
    const SHOWN: usize = 8;
    let mut available: Vec<String> = columns
        .iter()
        .take(SHOWN)
        .map(|c| format!("'{}'", preview(&c.name)))
        .collect();
    if columns.len() > SHOWN {
        available.push(format!("and {} more", columns.len() - SHOWN));
    }
    let near = columns
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(target.trim()))
        .map(|c| {
            format!(
                " Did you mean '{}'? Column names must match exactly.",
                c.name
            )
        })
        .unwrap_or_default();
    Some(ApiError::invalid(
        field,
        codes::TARGET_NOT_IN_DATASET,
        format!(
            "The dataset '{}' has no column '{}', the model's target. Its columns are {}.{near}",
            dataset.name,
            preview(target),
            available.join(", ")
        ),
        "Choose a dataset that has the target column, or change the model's target name on its Edit page (or with PATCH /api/v1/models/{model}).",
    ))
}

/// The version as it is now, after a change made through `model`.
pub(super) async fn version_after(
    state: &AppState,
    model: &ModelRef,
    row: &VersionRow,
) -> AppResult<Version> {
    let row = find_version(&state.db, model, &row.number().to_string()).await?;
    to_version(state, row).await
}

/// Assigns a version's training data (and holdout data, if given). Editors and above; the
/// caller must be able to see the datasets, and the model's target column must be in each.
/// Published versions too: this is data to analyse the version with, not one of its files.
pub async fn set_training_data(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    request: TrainingDataRequest,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's training data")?;
    let row = find_version(&state.db, &model, reference).await?;
    let training_id = request.dataset_id.trim();
    if training_id.is_empty() {
        return Err(ApiError::invalid(
            "dataset_id",
            codes::DATASET_REQUIRED,
            "No training dataset was chosen.",
            "Give the id of a dataset you can see (GET /api/v1/datasets lists them).",
        )
        .into());
    }
    let holdout_id = request
        .holdout_dataset_id
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    if holdout_id == Some(training_id) {
        return Err(ApiError::invalid(
            "holdout_dataset_id",
            codes::HOLDOUT_IS_TRAINING_DATA,
            "The holdout data is the training data.",
            "Holdout data must be kept out of training: choose another dataset, or none.",
        )
        .into());
    }
    let mut tx = db::begin_write(&state.db).await?;
    let training = find_named(&mut tx, caller, training_id, "dataset_id").await?;
    let holdout = match holdout_id {
        Some(id) => Some(find_named(&mut tx, caller, id, "holdout_dataset_id").await?),
        None => None,
    };
    let target: Option<(String,)> = sqlx::query_as("SELECT target_name FROM models WHERE id = $1")
        .bind(&model.id)
        .fetch_optional(&mut *tx)
        .await?;
    let target = target.map(|(t,)| t).unwrap_or_default();
    if target.trim().is_empty() {
        return Err(ApiError::new(
            422,
            codes::MODEL_HAS_NO_TARGET,
            format!(
                "The model '{}' has no target column set, so its training data cannot be checked.",
                model.name
            ),
            format!(
                "Set the model's target name first: on its Edit page, or with PATCH /api/v1/models/{} and {{\"target_name\": \"<column>\"}}.",
                model.name
            ),
        )
        .into());
    }
    if let Some(e) = target_not_in(&training, &target, "dataset_id") {
        return Err(e.into());
    }
    if let Some(e) = holdout
        .as_ref()
        .and_then(|h| target_not_in(h, &target, "holdout_dataset_id"))
    {
        return Err(e.into());
    }
    sqlx::query(
        "UPDATE versions SET training_dataset_id = $1, holdout_dataset_id = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&training.id)
    .bind(holdout.as_ref().map(|h| h.id.clone()))
    .bind(db::now())
    .bind(&row.id)
    .execute(&mut *tx)
    .await?;
    record_version_event(
        &mut tx,
        caller,
        "version.training_data",
        &model,
        &row,
        json!({
            "dataset": training.reference(),
            "holdout": holdout.as_ref().map(DatasetRow::reference),
        }),
    )
    .await?;
    tx.commit().await?;
    version_after(state, &model, &row).await
}

/// Removes a version's training and holdout data. Editors and above.
pub async fn clear_training_data(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's training data")?;
    let row = find_version(&state.db, &model, reference).await?;
    let mut tx = db::begin_write(&state.db).await?;
    let changed = sqlx::query(
        "UPDATE versions SET training_dataset_id = NULL, holdout_dataset_id = NULL, updated_at = $1
         WHERE id = $2 AND (training_dataset_id IS NOT NULL OR holdout_dataset_id IS NOT NULL)",
    )
    .bind(db::now())
    .bind(&row.id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() > 0 {
        record_version_event(
            &mut tx,
            caller,
            "version.training_data",
            &model,
            &row,
            json!({"dataset": null, "holdout": null}),
        )
        .await?;
    }
    tx.commit().await?;
    version_after(state, &model, &row).await
}

// ---------------------------------------------------------------------------------------------
// For jobs (no access check: the caller has already decided)
