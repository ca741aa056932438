//! `/models/{model}/versions…`: versions and their lifecycle, the primary version, copies and
//! the limits. A version's files are in `rest::files`, a model's aliases in `rest::aliases`.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::limits::Limits;
use crate::domain::model::Model;
use crate::domain::paging::Page;
use crate::domain::version::{
    CopyModel, NewVersion, Promote, Version, VersionDeleted, VersionPatch, VersionQuery,
};
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery, is_json, parse_object, read_bounded};
use crate::server::rest::multipart::{self, MultipartForm};
use crate::server::rest::openapi::says;
use crate::server::rest::page_json::PageJson;
use crate::server::services::{uploads, versions};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Reads a JSON object body no larger than `max` bytes, with the same error codes as
/// [`ApiJson`].
async fn read_json<T: serde::de::DeserializeOwned>(request: Request, max: usize) -> AppResult<T> {
    let bytes = read_bounded(request.into_body(), max).await?;
    Ok(parse_object(&bytes)?)
}

/// A version uploaded as `multipart/form-data`: the fields of a new version as text parts
/// (objects and lists as JSON text), then one part per file, named by its relative path.
pub struct VersionUpload;

impl utoipa::PartialSchema for VersionUpload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::server::rest::openapi::schema_from_json(serde_json::json!({
            "type": "object",
            "description": "Text parts: the fields of NewVersion. File parts: named by their relative path (model/weights.bin).",
            "additionalProperties": {"type": "string", "format": "binary"}
        }))
    }
}

impl utoipa::ToSchema for VersionUpload {}

#[utoipa::path(
    get, path = "/api/v1/models/{model}/versions", tag = "versions",
    summary = "A model's versions, newest first",
    security(("bearer" = []), ("session" = []), ()),
    params(VersionQuery),
    responses(
        (status = 200, description = "A page of versions.", body = Page<Version>),
        (status = 404, description = says::MODEL_404),
    )
)]
pub async fn list_versions(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> AppResult<PageJson<Version>> {
    Ok(PageJson(
        versions::list_versions(&state, caller.as_ref(), &model, &query).await?,
    ))
}

/// JSON (fields only, files inherited from `base_version`) or multipart (fields and files).
#[utoipa::path(
    post, path = "/api/v1/models/{model}/versions", tag = "versions",
    summary = "Create a version: JSON (fields; files inherited from base_version) or multipart/form-data (fields as text parts, objects and lists as JSON text; file parts named by their relative path; bump, base_version and delete_paths before the first file)",
    request_body(content((NewVersion = "application/json"), (VersionUpload = "multipart/form-data"))),
    responses(
        (status = 201, description = "The new version.", body = Version),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 413, description = "FILE_TOO_LARGE or TOO_MANY_FILES: nothing was kept."),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE."),
        (status = 422, description = "INVALID_BUMP, INVALID_FILE_PATH, DUPLICATE_FILE_PATH, FIELD_AFTER_FILES, FILE_NOT_FOUND (delete_paths), INVALID_METRIC, …"),
    )
)]
pub async fn create_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    request: Request,
) -> AppResult<(StatusCode, Json<Version>)> {
    let version = if multipart::is_multipart(request.headers()) {
        let form = MultipartForm::from_request(request, &state).await?;
        uploads::create_version_from_form(&state, &caller, &model, form).await?
    } else if is_json(request.headers()) {
        let new: NewVersion = read_json(request, state.settings.max_json_bytes).await?;
        versions::create_version(&state, &caller, &model, new).await?
    } else {
        return Err(ApiError::new(
            415,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "A new version is sent as JSON or as multipart/form-data.",
            "Send 'Content-Type: application/json' with the fields, or multipart/form-data with fields and files.",
        )
        .into());
    };
    Ok((StatusCode::CREATED, Json(version)))
}

#[utoipa::path(
    get, path = "/api/v1/models/{model}/versions/{version}", tag = "versions",
    summary = "One version with files, dependencies, fqn and usage snippet",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "The version.", body = Version),
        (status = 404, description = says::VERSION_404),
    )
)]
pub async fn get_version(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        versions::get_version(&state, caller.as_ref(), &model, &version).await?,
    ))
}

#[utoipa::path(
    patch, path = "/api/v1/models/{model}/versions/{version}", tag = "versions",
    summary = "Change version-level fields (never files, never the model); absent = keep, null = clear. A published version changes only description, tags and metadata",
    request_body = VersionPatch,
    responses(
        (status = 200, description = "The version.", body = Version),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_PUBLISHED: a published version's metrics, framework, environment, git, source_uri and run_id are frozen."),
        (status = 422, description = "A field is invalid."),
    )
)]
pub async fn update_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
    ApiJson(patch): ApiJson<VersionPatch>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        versions::update_version(&state, &caller, &model, &version, patch).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteVersionQuery {
    /// Keep the model even when this is its last version.
    #[serde(default)]
    keep_model: Option<bool>,
}

#[utoipa::path(
    delete, path = "/api/v1/models/{model}/versions/{version}", tag = "versions",
    summary = "Delete a version for good; the model goes with its last version unless keep_model=true",
    params(DeleteVersionQuery),
    responses(
        (status = 200, description = "What was deleted; unprotected aliases on it go with it, recorded in their history.", body = VersionDeleted),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_HAS_PROTECTED_ALIAS: move the protected alias first."),
    )
)]
pub async fn delete_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<DeleteVersionQuery>,
) -> AppResult<Json<VersionDeleted>> {
    let keep_model = query.keep_model.unwrap_or(false);
    Ok(Json(
        versions::delete_version(&state, &caller, &model, &version, keep_model).await?,
    ))
}

#[utoipa::path(
    post, path = "/api/v1/models/{model}/versions/{version}/publish", tag = "versions",
    summary = "Freeze the files; publishing again changes nothing",
    responses(
        (status = 200, description = "The version.", body = Version),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_NOT_READY."),
    )
)]
pub async fn publish_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        versions::publish_version(&state, &caller, &model, &version).await?,
    ))
}

#[utoipa::path(
    post, path = "/api/v1/models/{model}/versions/{version}/deactivate", tag = "versions",
    summary = "Deactivate a version",
    responses(
        (status = 200, description = "The version.", body = Version),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_IS_PRIMARY: promote another version first; VERSION_HAS_PROTECTED_ALIAS: move the protected alias first."),
    )
)]
pub async fn deactivate_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        versions::set_active(&state, &caller, &model, &version, false).await?,
    ))
}

#[utoipa::path(
    post, path = "/api/v1/models/{model}/versions/{version}/activate", tag = "versions",
    summary = "Reactivate a version",
    responses(
        (status = 200, description = "The version.", body = Version),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
    )
)]
pub async fn activate_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Version>> {
    Ok(Json(
        versions::set_active(&state, &caller, &model, &version, true).await?,
    ))
}

#[utoipa::path(
    put, path = "/api/v1/models/{model}/primary", tag = "versions",
    summary = "Promote a version to primary",
    request_body = Promote,
    responses(
        (status = 200, description = "The model.", body = Model),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_CANNOT_BE_PRIMARY: drafts, failed, pending and inactive versions cannot be primary."),
    )
)]
pub async fn promote_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    ApiJson(promote): ApiJson<Promote>,
) -> AppResult<Json<Model>> {
    Ok(Json(
        versions::promote_version(&state, &caller, &model, &promote.version).await?,
    ))
}

#[utoipa::path(
    post, path = "/api/v1/models/{model}/copy", tag = "models",
    summary = "Copy a model with its versions, files and aliases (no bytes copied)",
    request_body = CopyModel,
    responses(
        (status = 201, description = "The copy.", body = Model),
        (status = 404, description = says::MODEL_404),
        (status = 409, description = "MODEL_NAME_TAKEN."),
        (status = 422, description = "INVALID_MODEL_NAME."),
    )
)]
pub async fn copy_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    ApiJson(copy): ApiJson<CopyModel>,
) -> AppResult<(StatusCode, Json<Model>)> {
    let model = versions::copy_model(&state, &caller, &model, &copy.name).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// The limits in force.
#[utoipa::path(
    get, path = "/api/v1/limits", tag = "meta", operation_id = "get_limits",
    summary = "The limits in force",
    security(()),
    responses((status = 200, description = "The limits in force.", body = Limits))
)]
pub async fn limits(State(state): State<AppState>) -> Json<Limits> {
    Json(state.settings.limits())
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(copy_model))
        .routes(routes!(promote_version))
        .routes(routes!(get_version, update_version, delete_version))
        .routes(routes!(publish_version))
        .routes(routes!(deactivate_version))
        .routes(routes!(activate_version))
        .routes(routes!(limits))
}

/// This module's route rows that take uploads (see `rest::upload_endpoints`).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_versions, create_version))
}
