//! New datasets: a CSV upload (or a stored blob) profiled and recorded.

use super::*;
use crate::domain::error::codes;

/// Reads a stored blob as CSV, off the async threads.
pub(super) async fn profile_blob(state: &AppState, sha256: &str) -> AppResult<CsvProfile> {
    let data = state
        .blobs
        .local_file(sha256)
        .await
        .map_err(|e| AppError::Internal(format!("reading dataset blob {sha256}: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let path = data.path();
        let file = std::fs::File::open(path)
            .map_err(|e| AppError::Internal(format!("opening {}: {e}", path.display())))?;
        profile_csv(file, MAX_ROW_BYTES)
    })
    .await
    .map_err(|e| AppError::Internal(format!("reading a dataset: {e}")))?
}

// ---------------------------------------------------------------------------------------------
// Creating, listing, reading and deleting

/// Creates a dataset from an upload form: a `file` part (the CSV) and an optional `name` field
/// (else the file's name without `.csv`). The file streams into the blob store (bounded by the
/// upload limit: 413 beyond), is then read whole, and the dataset exists only if all of that
/// succeeded.
pub async fn create_from_form(
    state: &AppState,
    caller: &Caller,
    mut parts: impl FormParts,
) -> AppResult<Dataset> {
    let mut given_name: Option<String> = None;
    let mut upload: Option<(Option<String>, StoredBlob)> = None;
    let result: AppResult<()> = async {
        while let Some(part) = parts.next_part().await? {
            let field_name = part.name.clone();
            match field_name.as_str() {
                "file" => {
                    let file_name = part.file_name.clone();
                    // A file input left empty is sent as a part with an empty file name.
                    if file_name.as_deref() == Some("") {
                        continue;
                    }
                    if upload.is_some() {
                        return Err(invalid_file(
                            codes::DATASET_ONE_FILE,
                            "The upload has more than one file.".to_owned(),
                            "Send one CSV file per dataset.",
                        ));
                    }
                    let shown = file_name.clone().unwrap_or_else(|| "file".to_owned());
                    let blob = state
                        .blobs
                        .put_stream(part.body, state.settings.max_upload_bytes)
                        .await
                        .map_err(|e| put_error(&shown, e))?;
                    upload = Some((file_name, blob));
                }
                "name" => {
                    let value = part.text(MAX_NAME_FIELD_BYTES).await?;
                    // Checked at once, so a bad name is refused before a large file is stored.
                    if !value.trim().is_empty() {
                        dataset_name(Some(&value), None)?;
                    }
                    given_name = Some(value);
                }
                other => {
                    return Err(ApiError::invalid(
                        other,
                        codes::UNKNOWN_FIELD,
                        format!(
                            "The form field '{}' is not part of a dataset upload.",
                            preview(other)
                        ),
                        "Send the CSV file as the part 'file' and, if you like, a 'name'.",
                    )
                    .into());
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        parts.discard_rest().await;
        if let Some((_, blob)) = upload {
            discard_refused(&state.db, &state.blobs, &[blob]).await;
        }
        return Err(e);
    }
    let Some((file_name, blob)) = upload else {
        return Err(invalid_file(
            codes::DATASET_FILE_MISSING,
            "The upload has no file.".to_owned(),
            "Choose a CSV file (the multipart part 'file').",
        ));
    };
    match dataset_name(given_name.as_deref(), file_name.as_deref()) {
        Ok(name) => create_from_blob(state, caller, &name, blob).await,
        Err(e) => {
            discard_refused(&state.db, &state.blobs, &[blob]).await;
            Err(e.into())
        }
    }
}

/// Reads a stored file as CSV and records the dataset. The bytes of a file that is not a valid
/// dataset are removed again (unless something else holds the same bytes).
pub(crate) async fn create_from_blob(
    state: &AppState,
    caller: &Caller,
    name: &str,
    blob: StoredBlob,
) -> AppResult<Dataset> {
    let created = record_dataset(state, caller, name, &blob).await;
    if created.is_err() {
        discard_refused(&state.db, &state.blobs, &[blob]).await;
    }
    created
}

pub(super) async fn record_dataset(
    state: &AppState,
    caller: &Caller,
    name: &str,
    blob: &StoredBlob,
) -> AppResult<Dataset> {
    let profile = profile_blob(state, &blob.sha256).await?;
    let id = db::new_id();
    let now = db::now();
    let columns = serde_json::to_string(&profile.columns)
        .map_err(|e| AppError::Internal(format!("columns as JSON: {e}")))?;
    let preview_rows = serde_json::to_string(&profile.preview)
        .map_err(|e| AppError::Internal(format!("preview as JSON: {e}")))?;
    let mut tx = db::begin_write(&state.db).await?;
    record_blob(&mut tx, blob, &now).await?;
    sqlx::query(
        "INSERT INTO datasets (id, name, sha256, size, row_count, columns, preview, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(name)
    .bind(&blob.sha256)
    .bind(i64::try_from(blob.size).unwrap_or(i64::MAX))
    .bind(i64::try_from(profile.row_count).unwrap_or(i64::MAX))
    .bind(&columns)
    .bind(&preview_rows)
    .bind(&caller.user_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "dataset.create",
        &format!("dataset:{id}"),
        json!({
            "name": name,
            "rows": profile.row_count,
            "columns": profile.columns.len(),
            "size": blob.size,
            "sha256": blob.sha256,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Dataset {
        id,
        name: name.to_owned(),
        columns: profile.columns,
        row_count: profile.row_count,
        size: blob.size,
        sha256: blob.sha256.clone(),
        created_by: caller.username.clone(),
        created_at: db::parse_time(&now),
        preview: Some(profile.preview),
    })
}
