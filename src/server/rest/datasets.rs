//! `/datasets…` (CSV files used as training or holdout data) and a version's training data.

use crate::domain::dataset::{Dataset, DatasetDetail, DatasetQuery, TrainingDataRequest};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::paging::Page;
use crate::domain::version::Version;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::rest::multipart::{self, MultipartForm};
use crate::server::rest::openapi::says;
use crate::server::services::datasets;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `multipart/form-data` with the CSV as the part `file` and an optional `name` field.
/// A dataset uploaded as `multipart/form-data`.
pub struct DatasetUpload;

impl utoipa::PartialSchema for DatasetUpload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::server::rest::openapi::schema_from_json(serde_json::json!({
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "The CSV file, UTF-8."},
                "name": {"type": "string", "minLength": 1, "maxLength": 128}
            }
        }))
    }
}

impl utoipa::ToSchema for DatasetUpload {}

#[utoipa::path(
    post, path = "/api/v1/datasets", tag = "datasets",
    summary = "Upload a CSV file as a dataset (any signed-in user): the header row names the columns, each column's type is inferred from its values",
    description = "The file streams into storage (bounded by --max-upload-bytes), then is read whole: the first row names the columns (1 to 10000, each once; a UTF-8 byte order mark is dropped), every other row must have as many fields. Types: numeric, boolean (yes/no words), categorical (few distinct short values) or text. The name is the 'name' field, or else the file name without '.csv'.",
    request_body(content = DatasetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The dataset, with a preview of its first rows.", body = Dataset),
        (status = 400, description = "MALFORMED_MULTIPART or UPLOAD_INTERRUPTED."),
        (status = 413, description = "FILE_TOO_LARGE: nothing was kept."),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: send multipart/form-data."),
        (status = 422, description = "DATASET_EMPTY, DATASET_RAGGED_ROW (names the line), DATASET_BAD_ENCODING (names the line), DATASET_BAD_HEADER (an empty or repeated column name), DATASET_TOO_MANY_COLUMNS, DATASET_ROW_TOO_LONG, DATASET_FILE_MISSING, DATASET_ONE_FILE, INVALID_DATASET_NAME or UNKNOWN_FIELD; 'field' is 'file' or 'name'."),
    )
)]
pub async fn create_dataset(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> AppResult<(StatusCode, Json<Dataset>)> {
    if !multipart::is_multipart(request.headers()) {
        return Err(ApiError::new(
            415,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "A dataset is uploaded as multipart/form-data.",
            "Send the CSV file as the part 'file' (curl -F file=@data.csv), and optionally a 'name' field.",
        )
        .into());
    }
    let form = MultipartForm::from_request(request, &state).await?;
    let dataset = datasets::create_from_form(&state, &caller, form).await?;
    Ok((StatusCode::CREATED, Json(dataset)))
}

#[utoipa::path(
    get, path = "/api/v1/datasets", tag = "datasets",
    summary = "Datasets the caller can see, newest first (without previews)",
    params(DatasetQuery),
    responses(
        (status = 200, description = "One page of datasets.", body = Page<Dataset>),
        (status = 422, description = "INVALID_PAGING."),
    )
)]
pub async fn list_datasets(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DatasetQuery>,
) -> AppResult<Json<Page<Dataset>>> {
    Ok(Json(
        datasets::list_datasets(&state.db, &caller, &query, "/api/v1/datasets").await?,
    ))
}

#[utoipa::path(
    get, path = "/api/v1/datasets/{id}", tag = "datasets",
    summary = "One dataset with a preview of its first rows and the versions (the caller can see) that use it",
    params(("id" = String, Path, description = "A dataset's id.")),
    responses(
        (status = 200, description = "The dataset.", body = DatasetDetail),
        (status = 404, description = says::DATASET_404),
    )
)]
pub async fn get_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<DatasetDetail>> {
    Ok(Json(datasets::get_dataset(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/datasets/{id}", tag = "datasets",
    summary = "Delete a dataset (its uploader or an admin) that no version uses",
    params(("id" = String, Path, description = "A dataset's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "FORBIDDEN: only the uploader or an admin may delete it."),
        (status = 404, description = says::DATASET_404),
        (status = 409, description = "DATASET_IN_USE: versions use it as training or holdout data; the message names them."),
    )
)]
pub async fn delete_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    datasets::delete_dataset(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put, path = "/api/v1/models/{model}/versions/{version}/training-data", tag = "datasets",
    summary = "Assign a version's training data and, optionally, holdout data (Editor; published versions too)",
    description = "The caller must be able to see both datasets, the model must have a target name, and the target must be a column of each. Everyone who can see the model can then see the datasets.",
    request_body = TrainingDataRequest,
    responses(
        (status = 200, description = "The version, with training_dataset and holdout_dataset.", body = Version),
        (status = 403, description = "FORBIDDEN: Editor needed."),
        (status = 404, description = says::VERSION_404),
        (status = 422, description = "DATASET_NOT_FOUND, DATASET_REQUIRED, HOLDOUT_IS_TRAINING_DATA or TARGET_NOT_IN_DATASET (with the field: dataset_id or holdout_dataset_id), MODEL_HAS_NO_TARGET."),
    )
)]
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

#[utoipa::path(
    delete, path = "/api/v1/models/{model}/versions/{version}/training-data", tag = "datasets",
    summary = "Clear a version's training and holdout data (Editor)",
    responses(
        (status = 200, description = "The version, without training data.", body = Version),
        (status = 403, description = "FORBIDDEN: Editor needed."),
        (status = 404, description = says::VERSION_404),
    )
)]
pub async fn clear_training_data(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        datasets::clear_training_data(&state, &caller, &model, &version).await?,
    ))
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_dataset, delete_dataset))
        .routes(routes!(set_training_data, clear_training_data))
}

/// This module's route rows that take uploads (see `rest::upload_endpoints`).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_datasets, create_dataset))
}
