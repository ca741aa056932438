//! The files of a version: listing, single-file writes to drafts (streamed into the blob store)
//! and lookups for downloads. Published versions are frozen.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::file_path::{file_name, normalize_file_path};
use crate::domain::model::Role;
use crate::domain::model_check::is_checked_model_file;
use crate::domain::version::{Registration, VersionFile, VersionState};
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::{AppError, AppResult};
use crate::server::services::models::{ModelRef, find_model};
use crate::server::services::sweep::discard_refused;
use crate::server::services::versions::{
    VersionRow, content_type_for, find_version, record_version_event, refresh_dependencies,
    too_many_files, upsert_file,
};
use crate::server::services::{model_checks, signatures};
use crate::server::state::AppState;
use crate::server::storage::{PutError, StoredBlob};
use bytes::Bytes;
use futures_util::Stream;
use serde_json::json;

/// A file of a version, with what a download needs to name it.
#[derive(Clone, Debug)]
pub struct FileForDownload {
    pub model_name: String,
    pub version: String,
    /// Whose download count a download of the file adds to.
    pub version_id: String,
    pub file: VersionFile,
}

/// Every file of a version, with what a zip download needs to name and count it.
#[derive(Clone, Debug)]
pub struct VersionForDownload {
    pub model_name: String,
    pub version: String,
    pub version_id: String,
    pub files: Vec<VersionFile>,
}

pub fn file_not_found(path: &str, version: &str) -> ApiError {
    ApiError::new(
        404,
        codes::FILE_NOT_FOUND,
        format!("Version {version} has no file '{path}'."),
        "List the version's files with GET …/versions/{version}/files.",
    )
}

/// The error for a failed upload of `path`.
pub fn put_error(path: &str, error: PutError) -> AppError {
    match error {
        PutError::TooLarge { limit } => ApiError::new(
            413,
            codes::FILE_TOO_LARGE,
            format!("The file '{path}' is larger than the limit of {limit} bytes."),
            "Split the file, or ask an admin to raise --max-upload-bytes (GET /api/v1/limits shows the limits).",
        )
        .into(),
        PutError::Body(e) => ApiError::new(
            400,
            codes::UPLOAD_INTERRUPTED,
            format!("The upload of '{path}' was interrupted: {e}"),
            "Send the file again; nothing of the interrupted upload was kept.",
        )
        .into(),
        PutError::Io(e) => AppError::Internal(format!("storing {path}: {e}")),
    }
}

pub async fn list_files(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
) -> AppResult<Vec<VersionFile>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let row = find_version(&state.db, &model, reference).await?;
    files_of_version(state, &row.id).await
}

pub async fn files_of_version(state: &AppState, version_id: &str) -> AppResult<Vec<VersionFile>> {
    let rows: Vec<(String, i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT f.path, f.size, f.sha256, f.content_type, c.result FROM version_files f
         LEFT JOIN model_checks c ON c.sha256 = f.sha256
         WHERE f.version_id = $1 ORDER BY f.path",
    )
    .bind(version_id)
    .fetch_all(&state.db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(path, size, sha256, content_type, check)| VersionFile {
            path,
            size,
            sha256,
            content_type,
            model_check: model_checks::parse(check.as_deref()),
        })
        .collect())
}

pub async fn find_file(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
    raw_path: &str,
) -> AppResult<FileForDownload> {
    let model = find_model(&state.db, caller, model_key).await?;
    let row = find_version(&state.db, &model, reference).await?;
    require_ready(&row)?;
    let version = row.number().to_string();
    let path = normalize_file_path(raw_path)?;
    let file: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT size, sha256, content_type FROM version_files WHERE version_id = $1 AND path = $2",
    )
    .bind(&row.id)
    .bind(&path)
    .fetch_optional(&state.db)
    .await?;
    let (size, sha256, content_type) = file.ok_or_else(|| file_not_found(&path, &version))?;
    Ok(FileForDownload {
        model_name: model.name,
        version,
        version_id: row.id,
        file: VersionFile {
            path,
            size,
            sha256,
            content_type,
            model_check: None,
        },
    })
}

/// Everything a whole-version download needs.
pub async fn files_for_archive(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
) -> AppResult<VersionForDownload> {
    let model = find_model(&state.db, caller, model_key).await?;
    let row = find_version(&state.db, &model, reference).await?;
    require_ready(&row)?;
    let files = files_of_version(state, &row.id).await?;
    Ok(VersionForDownload {
        model_name: model.name,
        version: row.number().to_string(),
        version_id: row.id,
        files,
    })
}

fn require_writable(row: &VersionRow) -> AppResult<()> {
    let number = row.number();
    if row.state() == VersionState::Published {
        return Err(ApiError::new(
            409,
            codes::VERSION_PUBLISHED,
            format!("Version {number} is published; its files can no longer change."),
            "Create a new version from it (base_version) and change the files there.",
        )
        .into());
    }
    require_ready(row)
}

/// A pending or failed version's files are incomplete: they are neither changed nor served.
fn require_ready(row: &VersionRow) -> AppResult<()> {
    if row.registration() != Registration::Ready {
        return Err(ApiError::new(
            409,
            codes::VERSION_NOT_READY,
            format!(
                "Version {} is {}: its uploads did not finish, so its files are incomplete.",
                row.number(),
                row.registration().as_str()
            ),
            "Wait for a pending version, or delete a failed one and upload it again.",
        )
        .into());
    }
    Ok(())
}

/// Writes one file of a draft from a stream. Answers whether the path is new.
pub async fn put_file<S, E>(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    raw_path: &str,
    body: S,
) -> AppResult<(bool, VersionFile)>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's files")?;
    let row = find_version(&state.db, &model, reference).await?;
    require_writable(&row)?;
    let path = normalize_file_path(raw_path)?;
    let blob = state
        .blobs
        .put_stream(body, state.settings.max_upload_bytes)
        .await
        .map_err(|e| put_error(&path, e))?;
    // Bytes this upload stored are removed again if the file is refused now.
    let is_new = match record_file(state, caller, &model, &row, reference, &path, &blob).await {
        Ok(is_new) => is_new,
        Err(e) => {
            discard_refused(&state.db, &state.blobs, &[blob]).await;
            return Err(e);
        }
    };
    let content_type = content_type_for(&path);
    if file_name(&path) == "requirements.txt" {
        refresh_dependencies(state, &row.id).await?;
    }
    let model_check = if is_checked_model_file(&path) {
        Some(model_checks::check_blob(state, &blob.sha256, blob.size).await?)
    } else {
        None
    };
    if signatures::declares_signature(&path) {
        signatures::refresh_signature(state, &row.id).await;
    }
    Ok((
        is_new,
        VersionFile {
            path,
            size: blob.size as i64,
            sha256: blob.sha256,
            content_type,
            model_check,
        },
    ))
}

/// Records a file whose bytes are stored, if the draft still takes it. Answers whether the
/// path is new.
async fn record_file(
    state: &AppState,
    caller: &Caller,
    model: &ModelRef,
    row: &VersionRow,
    reference: &str,
    path: &str,
    blob: &StoredBlob,
) -> AppResult<bool> {
    let now = db::now();
    let mut tx = db::begin_write(&state.db).await?;
    // The version may have been published while the bytes were arriving.
    let current: Option<(String, String)> =
        sqlx::query_as("SELECT state, registration FROM versions WHERE id = $1")
            .bind(&row.id)
            .fetch_optional(&mut *tx)
            .await?;
    match current {
        None => {
            return Err(crate::server::services::versions::version_not_found(
                &model.name,
                reference,
            )
            .into());
        }
        Some((s, _)) if s != "draft" => {
            return Err(ApiError::new(
                409,
                codes::VERSION_PUBLISHED,
                format!("Version {} was published during the upload.", row.number()),
                "Create a new version from it (base_version) and upload the file there.",
            )
            .into());
        }
        Some(_) => {}
    }
    let exists: Option<(String,)> =
        sqlx::query_as("SELECT path FROM version_files WHERE version_id = $1 AND path = $2")
            .bind(&row.id)
            .bind(path)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM version_files WHERE version_id = $1")
                .bind(&row.id)
                .fetch_one(&mut *tx)
                .await?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= state.settings.max_files_per_version {
            return Err(too_many_files(state.settings.max_files_per_version).into());
        }
    }
    upsert_file(&mut tx, &row.id, path, blob, &now).await?;
    sqlx::query("UPDATE versions SET updated_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    record_version_event(
        &mut tx,
        caller,
        "file.put",
        model,
        row,
        json!({"path": path, "sha256": blob.sha256}),
    )
    .await?;
    tx.commit().await?;
    Ok(exists.is_none())
}

/// Removes one file from a draft.
pub async fn delete_file(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    raw_path: &str,
) -> AppResult<()> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's files")?;
    let row = find_version(&state.db, &model, reference).await?;
    require_writable(&row)?;
    let path = normalize_file_path(raw_path)?;
    let mut tx = db::begin_write(&state.db).await?;
    let done = sqlx::query(
        "DELETE FROM version_files WHERE version_id = $1 AND path = $2
            AND (SELECT state FROM versions WHERE id = $3) = 'draft'",
    )
    .bind(&row.id)
    .bind(&path)
    .bind(&row.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(file_not_found(&path, &row.number().to_string()).into());
    }
    record_version_event(
        &mut tx,
        caller,
        "file.delete",
        &model,
        &row,
        json!({"path": path}),
    )
    .await?;
    tx.commit().await?;
    if file_name(&path) == "requirements.txt" {
        refresh_dependencies(state, &row.id).await?;
    }
    if signatures::declares_signature(&path) {
        signatures::refresh_signature(state, &row.id).await;
    }
    Ok(())
}
