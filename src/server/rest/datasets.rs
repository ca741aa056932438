//! `/datasets…` (CSV files used as training or holdout data) and a version's training data.

use crate::domain::dataset::{Dataset, DatasetDetail, DatasetQuery, TrainingDataRequest};
use crate::domain::error::ApiError;
use crate::domain::paging::Page;
use crate::domain::version::Version;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::services::datasets;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};

/// `multipart/form-data` with the CSV as the part `file` and an optional `name` field.
pub async fn create_dataset(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> AppResult<(StatusCode, Json<Dataset>)> {
    let multipart_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart_body {
        return Err(ApiError::new(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "A dataset is uploaded as multipart/form-data.",
            "Send the CSV file as the part 'file' (curl -F file=@data.csv), and optionally a 'name' field.",
        )
        .into());
    }
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| {
            ApiError::new(
                400,
                "MALFORMED_MULTIPART",
                format!("The multipart body could not be read: {}", e.body_text()),
                "Send multipart/form-data with a boundary in the Content-Type header.",
            )
        })?;
    let dataset = datasets::create_from_multipart(&state, &caller, multipart).await?;
    Ok((StatusCode::CREATED, Json(dataset)))
}

pub async fn list_datasets(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DatasetQuery>,
) -> AppResult<Json<Page<Dataset>>> {
    Ok(Json(
        datasets::list_datasets(&state.db, &caller, &query, "/api/v1/datasets").await?,
    ))
}

pub async fn get_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<DatasetDetail>> {
    Ok(Json(datasets::get_dataset(&state.db, &caller, &id).await?))
}

pub async fn delete_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    datasets::delete_dataset(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn set_training_data(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
    ApiJson(request): ApiJson<TrainingDataRequest>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        datasets::set_training_data(&state, &caller, &model, &version, request).await?,
    ))
}

pub async fn clear_training_data(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        datasets::clear_training_data(&state, &caller, &model, &version).await?,
    ))
}
