//! Versions, files, aliases and comparisons for the pages. Writes redirect where the page they
//! came from may no longer exist (a deleted version or model, a copy).

use crate::domain::compare::VersionComparison;
use crate::domain::download::ModelDownloads;
use crate::domain::error::ApiError;
use crate::domain::paging::Page;
use crate::domain::version::{AliasMove, MetricSeries, Version};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context::{caller, fail, require_caller, state};

#[server(prefix = "/fn", endpoint = "list_model_versions")]
pub async fn list_model_versions(
    model: String,
    offset: i64,
    limit: i64,
) -> Result<Page<Version>, ApiError> {
    use crate::domain::version::VersionQuery;
    let caller = caller().await?;
    let query = VersionQuery {
        state: None,
        offset: Some(offset),
        limit: Some(limit),
    };
    crate::server::services::versions::list_versions(&state(), caller.as_ref(), &model, &query)
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "get_model_version")]
pub async fn get_model_version(model: String, version: String) -> Result<Version, ApiError> {
    let caller = caller().await?;
    crate::server::services::versions::get_version(&state(), caller.as_ref(), &model, &version)
        .await
        .map_err(fail)
}

/// The paths of a version's files, all the upload form needs of a base version: the browser then
/// reads no whole version (which would cost it the code to decode one).
#[server(prefix = "/fn", endpoint = "list_version_file_paths")]
pub async fn list_version_file_paths(
    model: String,
    version: String,
) -> Result<Vec<String>, ApiError> {
    let caller = caller().await?;
    crate::server::services::versions::get_version(&state(), caller.as_ref(), &model, &version)
        .await
        .map(|v| v.files.into_iter().map(|f| f.path).collect())
        .map_err(fail)
}

/// What the model overview shows besides the model itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelOverview {
    pub primary: Option<Version>,
    pub metrics: Vec<MetricSeries>,
    /// Downloads over the last [`DEFAULT_DAYS`](crate::domain::download::DEFAULT_DAYS) days.
    pub downloads: ModelDownloads,
}

#[server(prefix = "/fn", endpoint = "get_model_overview")]
pub async fn get_model_overview(model: String) -> Result<ModelOverview, ApiError> {
    use crate::server::services::versions;
    let caller = caller().await?;
    let state = state();
    let primary = match versions::get_version(&state, caller.as_ref(), &model, "primary").await {
        Ok(v) => Some(v),
        Err(e) => {
            let e = e.into_api_error();
            if !e.is(crate::domain::error::codes::VERSION_NOT_FOUND) {
                return Err(fail(e));
            }
            None
        }
    };
    let metrics = versions::metric_series(&state, caller.as_ref(), &model)
        .await
        .map_err(fail)?;
    let downloads = crate::server::services::downloads::model_downloads(
        &state.db,
        caller.as_ref(),
        &model,
        crate::domain::download::DEFAULT_DAYS,
        // The overview shows the days; the figures of each version are on the versions tab.
        crate::server::services::downloads::PerVersion::Skip,
    )
    .await
    .map_err(fail)?;
    Ok(ModelOverview {
        primary,
        metrics,
        downloads,
    })
}

/// The start of a text file, for previews.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilePreview {
    pub path: String,
    /// `None` when the file is not text.
    pub text: Option<String>,
    pub truncated: bool,
}

/// How much of a file a preview shows.
pub const PREVIEW_BYTES: u64 = 64 * 1024;

#[server(prefix = "/fn", endpoint = "preview_file")]
pub async fn preview_file(
    model: String,
    version: String,
    path: String,
) -> Result<FilePreview, ApiError> {
    use futures_util::StreamExt;
    let caller = caller().await?;
    let state = state();
    let found =
        crate::server::services::files::find_file(&state, caller.as_ref(), &model, &version, &path)
            .await
            .map_err(fail)?;
    let size = u64::try_from(found.file.size).unwrap_or_default();
    let take = size.min(PREVIEW_BYTES);
    let mut stream = state
        .blobs
        .read_range(&found.file.sha256, 0, take)
        .await
        .map_err(|e| fail(crate::server::error::AppError::Internal(e.to_string())))?;
    let mut bytes = Vec::with_capacity(usize::try_from(take).unwrap_or_default());
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| fail(crate::server::error::AppError::Internal(e.to_string())))?;
        bytes.extend_from_slice(&chunk);
    }
    // Text is UTF-8 without NUL bytes; a multi-byte character cut by the preview limit is fine.
    let text = if bytes.contains(&0) {
        None
    } else {
        match std::str::from_utf8(&bytes) {
            Ok(s) => Some(s.to_owned()),
            Err(e) if e.error_len().is_none() && take < size => {
                Some(String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned())
            }
            Err(_) => None,
        }
    };
    Ok(FilePreview {
        path: found.file.path,
        text,
        truncated: take < size,
    })
}

#[server(prefix = "/fn", endpoint = "promote_model_version")]
pub async fn promote_model_version(model: String, version: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::versions::promote_version(&state(), &caller, &model, &version)
        .await
        .map_err(fail)?;
    Ok(())
}

#[server(prefix = "/fn", endpoint = "publish_model_version")]
pub async fn publish_model_version(model: String, version: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::versions::publish_version(&state(), &caller, &model, &version)
        .await
        .map_err(fail)?;
    Ok(())
}

/// `active` is "true" or "false", as a form sends it.
#[server(prefix = "/fn", endpoint = "set_version_active")]
pub async fn set_version_active(
    model: String,
    version: String,
    active: String,
) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    let active = active == "true";
    crate::server::services::versions::set_active(&state(), &caller, &model, &version, active)
        .await
        .map_err(fail)?;
    Ok(())
}

#[server(prefix = "/fn", endpoint = "delete_model_version")]
pub async fn delete_model_version(model: String, version: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    let deleted = crate::server::services::versions::delete_version(
        &state(),
        &caller,
        &model,
        &version,
        false,
    )
    .await
    .map_err(fail)?;
    if deleted.model_deleted {
        leptos_axum::redirect("/models");
    } else {
        leptos_axum::redirect(&format!("/models/{model}/versions"));
    }
    Ok(())
}

/// `protected` is present ("on") when the box is ticked.
#[server(prefix = "/fn", endpoint = "set_model_alias")]
pub async fn set_model_alias(
    model: String,
    alias: String,
    version: String,
    #[server(default)] protected: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::version::SetAlias;
    let caller = require_caller().await?;
    let request = SetAlias {
        version,
        protected: Some(protected.is_some_and(|p| p == "on" || p == "true")),
    };
    crate::server::services::versions::aliases::set_alias(
        &state(),
        &caller,
        &model,
        alias.trim(),
        request,
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server(prefix = "/fn", endpoint = "delete_model_alias")]
pub async fn delete_model_alias(model: String, alias: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::versions::aliases::delete_alias(&state(), &caller, &model, &alias)
        .await
        .map_err(fail)?;
    Ok(())
}

#[server(prefix = "/fn", endpoint = "model_alias_history")]
pub async fn model_alias_history(
    model: String,
    alias: String,
) -> Result<Page<AliasMove>, ApiError> {
    let caller = caller().await?;
    crate::server::services::versions::aliases::alias_history(
        &state(),
        caller.as_ref(),
        &model,
        &alias,
        None,
        Some(100),
    )
    .await
    .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "copy_model")]
pub async fn copy_model(model: String, name: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    let copy =
        crate::server::services::versions::copy_model(&state(), &caller, &model, name.trim())
            .await
            .map_err(fail)?;
    leptos_axum::redirect(&format!("/models/{}", copy.name));
    Ok(())
}

#[server(prefix = "/fn", endpoint = "delete_model")]
pub async fn delete_model(model: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::models::delete_model(&state().db, &caller, &model)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/models");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "compare_model_versions")]
pub async fn compare_model_versions(
    model: String,
    a: String,
    b: String,
) -> Result<VersionComparison, ApiError> {
    use crate::server::services::versions::get_version;
    let caller = caller().await?;
    let state = state();
    let va = get_version(&state, caller.as_ref(), &model, &a)
        .await
        .map_err(fail)?;
    let vb = get_version(&state, caller.as_ref(), &model, &b)
        .await
        .map_err(fail)?;
    Ok(crate::domain::compare::compare_versions(va, vb))
}
