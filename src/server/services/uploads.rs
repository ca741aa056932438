//! Creating a version from a `multipart/form-data` upload: text parts carry the version's fields,
//! file parts carry files whose part file name is their relative path. Files stream into the
//! blob store as they arrive. The version exists as `pending` from the first file on and becomes
//! `ready` when the last part is in; if anything fails it is removed again, so no half version
//! is ever left visible.

use crate::domain::error::ApiError;
use crate::domain::file_path::normalize_file_path;
use crate::domain::version::{NewVersion, Registration, Version};
use crate::domain::version_form::apply_text_field;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::services::files::put_error;
use crate::server::services::sweep::discard_refused;
use crate::server::services::versions::{
    PendingVersion, Upload, abandon_version, begin_version, find_version, finish_version,
    to_version, too_many_files,
};
use crate::server::state::AppState;
use crate::server::storage::StoredBlob;
use axum::extract::Multipart;
use axum::extract::multipart::Field;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::collections::HashSet;
use std::time::Duration;

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::new(
        400,
        "MALFORMED_MULTIPART",
        format!("The multipart body could not be read: {}", e.body_text()),
        "Send multipart/form-data with one part per field and one per file, the file's relative path as its file name.",
    )
}

/// Reads a text part, refusing one larger than `max` bytes.
pub(crate) async fn read_text(mut field: Field<'_>, name: &str, max: usize) -> AppResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > max {
            return Err(ApiError::new(
                413,
                "FIELD_TOO_LARGE",
                format!("The form field '{name}' is larger than {max} bytes."),
                "Keep fields small; upload large content as a file.",
            )
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::invalid(
            name,
            "INVALID_FIELD",
            format!("The form field '{name}' is not UTF-8 text."),
            "Send text fields as UTF-8.",
        )
        .into()
    })
}

/// Fields that decide the version's number and inherited files; they must come before the
/// first file part, because the version is created when that part arrives.
const LEADING_FIELDS: [&str; 3] = ["bump", "base_version", "delete_paths"];

/// How much of a refused upload is still read (and thrown away) so that the client, which is
/// usually still sending, receives the answer instead of a broken connection. Past this, the
/// connection is closed.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
const DRAIN_MAX_TIME: Duration = Duration::from_secs(10);

/// Reads and discards what is left of a request body, within the bounds above.
pub async fn discard_rest<S, E>(body: S)
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let drain = async {
        let mut body = std::pin::pin!(body);
        let mut read = 0u64;
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.len() as u64;
            if read > DRAIN_MAX_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_MAX_TIME, drain).await;
}

/// The same for what is left of a multipart body.
pub(crate) async fn drain_multipart(multipart: &mut Multipart) {
    let drain = async {
        let mut read = 0u64;
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(chunk)) = field.chunk().await {
                read += chunk.len() as u64;
                if read > DRAIN_MAX_BYTES {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_MAX_TIME, drain).await;
}

pub async fn create_version_from_multipart(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    multipart: Multipart,
) -> AppResult<Version> {
    create_version_keeping_fields(state, caller, model_key, multipart, &mut Vec::new()).await
}

/// [`create_version_from_multipart`], also noting in `texts` the text fields read (name and
/// value), so a refused form can be shown again as it was filled in.
pub async fn create_version_keeping_fields(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    mut multipart: Multipart,
    texts: &mut Vec<(String, String)>,
) -> AppResult<Version> {
    let mut new = NewVersion::default();
    let mut pending: Option<PendingVersion> = None;
    let mut uploads: Vec<Upload> = Vec::new();
    let result: AppResult<()> = async {
        let mut seen = HashSet::new();
        while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                // A file input left empty is sent as a part with an empty file name.
                Some(raw) if raw.is_empty() => continue,
                Some(raw) => {
                    let path = normalize_file_path(&raw)?;
                    if !seen.insert(path.clone()) {
                        return Err(ApiError::invalid(
                            "path",
                            "DUPLICATE_FILE_PATH",
                            format!("The file '{path}' is in the upload twice."),
                            "Send each relative path once.",
                        )
                        .into());
                    }
                    if uploads.len() >= state.settings.max_files_per_version {
                        return Err(too_many_files(state.settings.max_files_per_version).into());
                    }
                    if pending.is_none() {
                        pending = Some(
                            begin_version(state, caller, model_key, &new, Registration::Pending)
                                .await?,
                        );
                    }
                    let blob = state
                        .blobs
                        .put_stream(field, state.settings.max_upload_bytes)
                        .await
                        .map_err(|e| put_error(&path, e))?;
                    uploads.push(Upload { path, blob });
                }
                None => {
                    if pending.is_some() && LEADING_FIELDS.contains(&name.as_str()) {
                        return Err(ApiError::invalid(
                            &name,
                            "FIELD_AFTER_FILES",
                            format!("The field '{name}' came after a file part."),
                            "Send bump, base_version and delete_paths before the files.",
                        )
                        .into());
                    }
                    let value = read_text(field, &name, state.settings.max_json_bytes).await?;
                    texts.push((name.clone(), value.clone()));
                    apply_text_field(&mut new, &name, value)?;
                }
            }
        }
        Ok(())
    }
    .await;
    let stored: Vec<StoredBlob> = uploads.iter().map(|u| u.blob.clone()).collect();
    if let Err(e) = result {
        if let Some(p) = &pending {
            abandon_version(state, p).await;
        }
        drain_multipart(&mut multipart).await;
        discard_refused(&state.db, &state.blobs, &stored).await;
        return Err(e);
    }
    let pending = match pending {
        Some(p) => p,
        None => begin_version(state, caller, model_key, &new, Registration::Ready).await?,
    };
    if let Err(e) = finish_version(state, &pending, &new, uploads).await {
        abandon_version(state, &pending).await;
        discard_refused(&state.db, &state.blobs, &stored).await;
        return Err(e);
    }
    let row = find_version(&state.db, &pending.model, &pending.number.to_string()).await?;
    to_version(state, row).await
}
