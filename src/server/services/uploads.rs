//! Creating a version from an upload form (`multipart/form-data` on the wire): text parts carry
//! the version's fields, file parts carry files whose part file name is their relative path.
//! Files stream into the blob store as they arrive. The version exists as `pending` from the
//! first file on and becomes `ready` when the last part is in; if anything fails it is removed
//! again, so no half version is ever left visible.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::file_path::normalize_file_path;
use crate::domain::version::{NewVersion, Registration, Version};
use crate::domain::version_form::apply_text_field;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::services::files::put_error;
use crate::server::services::form_parts::FormParts;
use crate::server::services::sweep::discard_refused;
use crate::server::services::versions::{
    PendingVersion, Upload, abandon_version, begin_version, find_version, finish_version,
    to_version, too_many_files,
};
use crate::server::state::AppState;
use crate::server::storage::StoredBlob;
use std::collections::HashSet;

/// Fields that decide the version's number and inherited files; they must come before the
/// first file part, because the version is created when that part arrives.
const LEADING_FIELDS: [&str; 3] = ["bump", "base_version", "delete_paths"];

pub async fn create_version_from_form(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    parts: impl FormParts,
) -> AppResult<Version> {
    create_version_keeping_fields(state, caller, model_key, parts, &mut Vec::new()).await
}

/// [`create_version_from_form`], also noting in `texts` the text fields read (name and
/// value), so a refused form can be shown again as it was filled in.
pub async fn create_version_keeping_fields(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    mut parts: impl FormParts,
    texts: &mut Vec<(String, String)>,
) -> AppResult<Version> {
    let mut new = NewVersion::default();
    let mut pending: Option<PendingVersion> = None;
    let mut uploads: Vec<Upload> = Vec::new();
    let result: AppResult<()> = async {
        let mut seen = HashSet::new();
        while let Some(part) = parts.next_part().await? {
            let name = part.name.clone();
            match part.file_name.clone() {
                // A file input left empty is sent as a part with an empty file name.
                Some(raw) if raw.is_empty() => continue,
                Some(raw) => {
                    let path = normalize_file_path(&raw)?;
                    if !seen.insert(path.clone()) {
                        return Err(ApiError::invalid(
                            "path",
                            codes::DUPLICATE_FILE_PATH,
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
                        .put_stream(part.body, state.settings.max_upload_bytes)
                        .await
                        .map_err(|e| put_error(&path, e))?;
                    uploads.push(Upload { path, blob });
                }
                None => {
                    if pending.is_some() && LEADING_FIELDS.contains(&name.as_str()) {
                        return Err(ApiError::invalid(
                            &name,
                            codes::FIELD_AFTER_FILES,
                            format!("The field '{name}' came after a file part."),
                            "Send bump, base_version and delete_paths before the files.",
                        )
                        .into());
                    }
                    let value = part.text(state.settings.max_json_bytes).await?;
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
        parts.discard_rest().await;
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
