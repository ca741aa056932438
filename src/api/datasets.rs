//! Datasets for the pages: list, view, delete, choose as a version's training data. Uploading
//! is a plain form post to `/datasets` (see `server::upload_form`), so it works without
//! JavaScript and streams the file like the REST API.

use crate::domain::dataset::{Dataset, DatasetDetail, DatasetRef};
use crate::domain::error::ApiError;
use crate::domain::paging::Page;
use crate::domain::version::Version;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{fail, require_caller, state};

/// How many datasets one page of the list shows.
pub const DATASET_PAGE_SIZE: i64 = 50;

#[server(prefix = "/fn", endpoint = "list_datasets")]
pub async fn list_datasets(search: String, offset: i64) -> Result<Page<Dataset>, ApiError> {
    use crate::domain::dataset::DatasetQuery;
    let caller = require_caller().await?;
    let query = DatasetQuery {
        search: Some(search).filter(|s| !s.trim().is_empty()),
        offset: Some(offset.max(0)),
        limit: Some(DATASET_PAGE_SIZE),
    };
    crate::server::services::datasets::list_datasets(&state().db, &caller, &query, "/datasets")
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "get_dataset")]
pub async fn get_dataset(id: String) -> Result<DatasetDetail, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::datasets::get_dataset(&state().db, &caller, &id)
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "delete_dataset")]
pub async fn delete_dataset(id: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::datasets::delete_dataset(&state().db, &caller, &id)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/datasets");
    Ok(())
}

/// The datasets the caller may choose as training or holdout data.
#[server(prefix = "/fn", endpoint = "list_dataset_choices")]
pub async fn list_dataset_choices() -> Result<Vec<DatasetRef>, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::datasets::dataset_choices(&state().db, &caller)
        .await
        .map_err(fail)
}

/// `holdout_dataset_id` is empty for none, as the form's select sends it.
#[server(prefix = "/fn", endpoint = "set_version_training_data")]
pub async fn set_version_training_data(
    model: String,
    version: String,
    dataset_id: String,
    #[server(default)] holdout_dataset_id: Option<String>,
) -> Result<Version, ApiError> {
    use crate::domain::dataset::TrainingDataRequest;
    let caller = require_caller().await?;
    let request = TrainingDataRequest {
        dataset_id,
        holdout_dataset_id: holdout_dataset_id.filter(|h| !h.trim().is_empty()),
    };
    crate::server::services::datasets::set_training_data(
        &state(),
        &caller,
        &model,
        &version,
        request,
    )
    .await
    .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "clear_version_training_data")]
pub async fn clear_version_training_data(
    model: String,
    version: String,
) -> Result<Version, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::datasets::clear_training_data(&state(), &caller, &model, &version)
        .await
        .map_err(fail)
}
