//! Creating a version from a `multipart/form-data` upload: text parts carry the version's fields,
//! file parts carry files whose part file name is their relative path. Files stream into the
//! blob store as they arrive. The version exists as `pending` from the first file on and becomes
//! `ready` when the last part is in; if anything fails it is removed again, so no half version
//! is ever left visible.

use crate::domain::error::ApiError;
use crate::domain::file_path::normalize_file_path;
use crate::domain::model::split_tags;
use crate::domain::version::{NewVersion, Registration, Version};
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::services::files::put_error;
use crate::server::services::versions::{
    PendingVersion, Upload, abandon_version, begin_version, find_version, finish_version,
    to_version, too_many_files,
};
use crate::server::state::AppState;
use axum::extract::Multipart;
use axum::extract::multipart::Field;
use serde::de::DeserializeOwned;
use std::collections::HashSet;

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::new(
        400,
        "MALFORMED_MULTIPART",
        format!("The multipart body could not be read: {}", e.body_text()),
        "Send multipart/form-data with one part per field and one per file, the file's relative path as its file name.",
    )
}

/// Reads a text part, refusing one larger than `max` bytes.
async fn read_text(mut field: Field<'_>, name: &str, max: usize) -> AppResult<String> {
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

fn json_field<T: DeserializeOwned>(name: &str, value: &str) -> Result<T, ApiError> {
    serde_json::from_str(value).map_err(|e| {
        ApiError::invalid(
            name,
            "INVALID_FIELD",
            format!("The form field '{name}' is not valid JSON of the expected shape: {e}"),
            "See the version fields in GET /api/v1/openapi.json; objects and lists are sent as JSON text.",
        )
    })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" | "" => Ok(false),
        _ => Err(ApiError::invalid(
            name,
            "INVALID_FIELD",
            format!("The form field '{name}' must be true or false."),
            "Send 'true' or 'false'.",
        )),
    }
}

/// Sets one text field of a new version. Objects and lists come as JSON text; forms without
/// JavaScript may use the flat names (`framework.library_name`, `environment.pip_packages` one
/// per line, `tags` comma-separated, `delete_paths` repeated).
pub fn apply_text_field(new: &mut NewVersion, name: &str, value: String) -> Result<(), ApiError> {
    let present = !value.trim().is_empty();
    match name {
        "bump" => new.bump = Some(value),
        "base_version" => new.base_version = Some(value),
        "description" => new.description = Some(value),
        "source_uri" => new.source_uri = Some(value),
        "run_id" => new.run_id = Some(value),
        "publish" => new.publish = Some(parse_bool(name, &value)?),
        "delete_paths" if value.trim_start().starts_with('[') => {
            let paths: Vec<String> = json_field(name, &value)?;
            new.delete_paths.get_or_insert_default().extend(paths);
        }
        "delete_paths" if present => new.delete_paths.get_or_insert_default().push(value),
        "tags" if value.trim_start().starts_with('[') => new.tags = Some(json_field(name, &value)?),
        "tags" => new.tags.get_or_insert_default().extend(split_tags(&value)),
        "metadata" if present => new.metadata = Some(json_field(name, &value)?),
        "metrics" if present => new.metrics = Some(json_field(name, &value)?),
        "framework" if present => new.framework = Some(json_field(name, &value)?),
        "environment" if present => new.environment = Some(json_field(name, &value)?),
        "git" if present => new.git = Some(json_field(name, &value)?),
        "framework.library_name" => {
            new.framework.get_or_insert_default().library_name = Some(value)
        }
        "framework.pipeline_tag" => {
            new.framework.get_or_insert_default().pipeline_tag = Some(value)
        }
        "framework.base_model" => new.framework.get_or_insert_default().base_model = Some(value),
        "environment.python_version" => {
            new.environment.get_or_insert_default().python_version = Some(value)
        }
        "environment.pip_packages" => new
            .environment
            .get_or_insert_default()
            .pip_packages
            .extend(value.lines().map(str::to_owned)),
        "git.commit_url" => new.git.get_or_insert_default().commit_url = Some(value),
        "git.main_branch_commit_sha" => {
            new.git.get_or_insert_default().main_branch_commit_sha = Some(value)
        }
        "git.pull_request_commit_sha" => {
            new.git.get_or_insert_default().pull_request_commit_sha = Some(value)
        }
        "git.ref_name" => new.git.get_or_insert_default().ref_name = Some(value),
        "delete_paths" | "metadata" | "metrics" | "framework" | "environment" | "git" => {}
        other => {
            return Err(ApiError::invalid(
                other,
                "INVALID_FIELD",
                format!("'{other}' is not a field of a new version."),
                "See the version fields in GET /api/v1/openapi.json; file parts need a file name.",
            ));
        }
    }
    Ok(())
}

/// Fields that decide the version's number and inherited files; they must come before the
/// first file part, because the version is created when that part arrives.
const LEADING_FIELDS: [&str; 3] = ["bump", "base_version", "delete_paths"];

pub async fn create_version_from_multipart(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    mut multipart: Multipart,
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
                    apply_text_field(&mut new, &name, value)?;
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        if let Some(p) = &pending {
            abandon_version(state, p).await;
        }
        return Err(e);
    }
    let pending = match pending {
        Some(p) => p,
        None => begin_version(state, caller, model_key, &new, Registration::Ready).await?,
    };
    if let Err(e) = finish_version(state, &pending, &new, uploads).await {
        abandon_version(state, &pending).await;
        return Err(e);
    }
    let row = find_version(&state.db, &pending.model, &pending.number.to_string()).await?;
    to_version(state, row).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_form_fields_fill_the_nested_ones() {
        let mut new = NewVersion::default();
        for (k, v) in [
            ("framework.library_name", "sklearn"),
            ("environment.pip_packages", "numpy>=1\npandas"),
            ("tags", "a, b"),
            ("delete_paths", "x.bin"),
            ("delete_paths", "y.bin"),
            ("publish", "on"),
            ("metadata", ""),
        ] {
            apply_text_field(&mut new, k, v.to_owned()).expect("valid field");
        }
        assert_eq!(
            new.framework.and_then(|f| f.library_name).as_deref(),
            Some("sklearn")
        );
        assert_eq!(
            new.environment.map(|e| e.pip_packages).unwrap_or_default(),
            vec!["numpy>=1".to_owned(), "pandas".to_owned()]
        );
        assert_eq!(new.tags, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(
            new.delete_paths,
            Some(vec!["x.bin".to_owned(), "y.bin".to_owned()])
        );
        assert_eq!(new.publish, Some(true));
        assert!(new.metadata.is_none());
    }

    #[test]
    fn unknown_and_malformed_fields_are_refused() {
        let mut new = NewVersion::default();
        let e = apply_text_field(&mut new, "colour", "red".into()).expect_err("unknown");
        assert_eq!(e.status, 422);
        let e = apply_text_field(&mut new, "metadata", "{oops".into()).expect_err("bad json");
        assert_eq!(e.field.as_deref(), Some("metadata"));
        let e = apply_text_field(&mut new, "publish", "maybe".into()).expect_err("bad bool");
        assert_eq!(e.field.as_deref(), Some("publish"));
    }
}
