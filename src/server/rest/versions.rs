//! `/models/{model}/versions…`, files, downloads, aliases, the primary version and copies.

use crate::domain::byte_range::{ByteRange, parse_range};
use crate::domain::download::{DownloadKind, counts_as_download};
use crate::domain::error::ApiError;
use crate::domain::file_path::file_name;
use crate::domain::limits::Limits;
use crate::domain::model::Model;
use crate::domain::paging::Page;
use crate::domain::version::{
    Alias, AliasMove, CopyModel, NewVersion, Promote, SetAlias, Version, VersionDeleted,
    VersionFile, VersionPatch, VersionQuery,
};
use crate::server::archive::zip_body;
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::{AppError, AppResult};
use crate::server::rest::extract::{ApiJson, ApiQuery, is_json, parse_object, read_bounded};
use crate::server::rest::multipart::{self, MultipartForm};
use crate::server::rest::openapi::says;
use crate::server::services::{aliases, downloads, files, uploads, versions};
use crate::server::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Reads a JSON object body no larger than `max` bytes, with the same error codes as
/// [`ApiJson`].
async fn read_json<T: serde::de::DeserializeOwned>(request: Request, max: usize) -> AppResult<T> {
    let bytes = read_bounded(request.into_body(), max).await?;
    Ok(parse_object(&bytes)?)
}

/// A list that always fits one answer (a version's files, a model's aliases): the count is also
/// the total.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Whole<T> {
    pub count: usize,
    pub total_count: usize,
    pub data: Vec<T>,
}

impl<T> Whole<T> {
    fn of(data: Vec<T>) -> Self {
        Self {
            count: data.len(),
            total_count: data.len(),
            data,
        }
    }
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
) -> AppResult<Json<Page<Version>>> {
    Ok(Json(
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
            "UNSUPPORTED_MEDIA_TYPE",
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

#[utoipa::path(
    get, path = "/api/v1/models/{model}/versions/{version}/files", tag = "files",
    summary = "A version's files",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "Every file of the version.", body = Whole<VersionFile>),
        (status = 404, description = says::VERSION_404),
    )
)]
pub async fn list_files(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<Whole<VersionFile>>> {
    let data = files::list_files(&state, caller.as_ref(), &model, &version).await?;
    Ok(Json(Whole::of(data)))
}

#[utoipa::path(
    put, path = "/api/v1/models/{model}/versions/{version}/files/{*path}", tag = "files",
    summary = "Write one file of a draft from the raw body (streamed)",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Replaced.", body = VersionFile),
        (status = 201, description = "Added.", body = VersionFile),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_PUBLISHED or VERSION_NOT_READY."),
        (status = 413, description = "FILE_TOO_LARGE or TOO_MANY_FILES."),
        (status = 422, description = "INVALID_FILE_PATH."),
    )
)]
pub async fn put_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version, path)): Path<(String, String, String)>,
    body: Body,
) -> AppResult<(StatusCode, Json<VersionFile>)> {
    let mut stream = body.into_data_stream();
    let result = files::put_file(&state, &caller, &model, &version, &path, &mut stream).await;
    let (created, file) = match result {
        Ok(done) => done,
        Err(e) => {
            multipart::discard_rest(stream).await;
            return Err(e);
        }
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(file)))
}

#[utoipa::path(
    delete, path = "/api/v1/models/{model}/versions/{version}/files/{*path}", tag = "files",
    summary = "Remove one file of a draft",
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = says::ROLE_403),
        (status = 404, description = "FILE_NOT_FOUND, MODEL_NOT_FOUND or VERSION_NOT_FOUND."),
        (status = 409, description = "VERSION_PUBLISHED."),
        (status = 422, description = "INVALID_FILE_PATH."),
    )
)]
pub async fn delete_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version, path)): Path<(String, String, String)>,
) -> AppResult<StatusCode> {
    files::delete_file(&state, &caller, &model, &version, &path).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `attachment; filename="…"; filename*=UTF-8''…`: downloads never render in the app's origin.
pub fn attachment(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// One file, with `ETag` (its SHA-256), `If-None-Match`, `Range` and `If-Range`. A GET served
/// from the first byte counts as a download of the version.
#[utoipa::path(
    get, path = "/api/v1/models/{model}/versions/{version}/files/{*path}", tag = "files",
    summary = "Download one file; ETag is its SHA-256, Range and If-None-Match are honoured",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "The bytes, as the content type the file was stored with."),
        (status = 206, description = "The requested range."),
        (status = 304, description = "Not modified."),
        (status = 404, description = "FILE_NOT_FOUND, MODEL_NOT_FOUND or VERSION_NOT_FOUND."),
        (status = 416, description = "RANGE_NOT_SATISFIABLE."),
        (status = 422, description = "INVALID_FILE_PATH."),
    )
)]
pub async fn get_file(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, version, path)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> AppResult<Response> {
    let found = files::find_file(&state, caller.as_ref(), &model, &version, &path).await?;
    let file = found.file;
    let size = u64::try_from(file.size).unwrap_or_default();
    let etag = format!("\"{}\"", file.sha256);
    let header_str = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if header_str(header::IF_NONE_MATCH).is_some_and(|v| etag_matches(v, &etag)) {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| AppError::Internal(e.to_string()));
    }
    let if_range_ok = header_str(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = match header_str(header::RANGE) {
        Some(r) if if_range_ok => parse_range(r, size),
        _ => ByteRange::Full,
    };
    let (status, start, len) = match range {
        ByteRange::Full => (StatusCode::OK, 0, size),
        ByteRange::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        ByteRange::Unsatisfiable => {
            let mut r = crate::server::error::error_response(ApiError::new(
                416,
                "RANGE_NOT_SATISFIABLE",
                format!("The requested range is outside the file's {size} bytes."),
                "Ask for a range within the file, or leave out the Range header.",
            ));
            if let Some(v) = range
                .content_range(size)
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    if let Some(v) = range.content_range(size) {
        response = response.header(header::CONTENT_RANGE, v);
    }
    let stream = state
        .blobs
        .read_range(&file.sha256, start, len)
        .await
        .map_err(|e| AppError::Internal(format!("reading blob {}: {e}", file.sha256)))?;
    if counts_as_download(method == Method::HEAD, start) {
        downloads::record_download(&state.db, &found.version_id, DownloadKind::File);
    }
    response
        .status(status)
        .header(header::CONTENT_TYPE, &file.content_type)
        .header(header::CONTENT_LENGTH, len)
        .header(
            header::CONTENT_DISPOSITION,
            attachment(file_name(&file.path)),
        )
        .body(Body::from_stream(stream))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Every file of a version as one streamed zip; a GET counts as a download of the version.
#[utoipa::path(
    get, path = "/api/v1/models/{model}/versions/{version}/download", tag = "files",
    summary = "Every file of the version as one streamed zip (stored, ZIP64 when needed)",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "The zip.", content_type = "application/zip"),
        (status = 404, description = says::VERSION_404),
    )
)]
pub async fn download_version(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, version)): Path<(String, String)>,
    method: Method,
) -> AppResult<Response> {
    let archive = files::files_for_archive(&state, caller.as_ref(), &model, &version).await?;
    let (model_name, number) = (archive.model_name, archive.version);
    let is_head = method == Method::HEAD;
    if counts_as_download(is_head, 0) {
        downloads::record_download(&state.db, &archive.version_id, DownloadKind::Zip);
    }
    // A HEAD answers the headers alone: no archive is written for it.
    let body = if is_head {
        Body::empty()
    } else {
        zip_body(state.blobs.clone(), archive.files)
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (
                header::CONTENT_DISPOSITION,
                attachment(&format!("{model_name}-{number}.zip")),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(
    get, path = "/api/v1/models/{model}/aliases", tag = "aliases",
    summary = "A model's aliases",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "Every alias of the model.", body = Whole<Alias>),
        (status = 404, description = says::MODEL_404),
    )
)]
pub async fn list_aliases(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
) -> AppResult<Json<Whole<Alias>>> {
    let data = aliases::list_aliases(&state, caller.as_ref(), &model).await?;
    Ok(Json(Whole::of(data)))
}

#[utoipa::path(
    put, path = "/api/v1/models/{model}/aliases/{alias}", tag = "aliases",
    summary = "Point an alias at a version (a protected alias, or protection itself, needs an Owner)",
    request_body = SetAlias,
    responses(
        (status = 200, description = "The alias.", body = Alias),
        (status = 403, description = "FORBIDDEN or ALIAS_PROTECTED."),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_NOT_READY, or VERSION_INACTIVE for a protected alias."),
        (status = 422, description = "INVALID_ALIAS, or the version does not exist."),
    )
)]
pub async fn set_alias(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, alias)): Path<(String, String)>,
    ApiJson(request): ApiJson<SetAlias>,
) -> AppResult<Json<Alias>> {
    Ok(Json(
        aliases::set_alias(&state, &caller, &model, &alias, request).await?,
    ))
}

#[utoipa::path(
    delete, path = "/api/v1/models/{model}/aliases/{alias}", tag = "aliases",
    summary = "Remove an alias",
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "FORBIDDEN or ALIAS_PROTECTED."),
        (status = 404, description = "ALIAS_NOT_FOUND or MODEL_NOT_FOUND."),
    )
)]
pub async fn delete_alias(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, alias)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    aliases::delete_alias(&state, &caller, &model, &alias).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/models/{model}/aliases/{alias}/history", tag = "aliases",
    summary = "Every move of an alias, newest first",
    security(("bearer" = []), ("session" = []), ()),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of moves.", body = Page<AliasMove>),
        (status = 404, description = "ALIAS_NOT_FOUND or MODEL_NOT_FOUND."),
    )
)]
pub async fn alias_history(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, alias)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<AliasMove>>> {
    Ok(Json(
        aliases::alias_history(
            &state,
            caller.as_ref(),
            &model,
            &alias,
            query.offset,
            query.limit,
        )
        .await?,
    ))
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
        .routes(routes!(list_files))
        .routes(routes!(download_version))
        .routes(routes!(publish_version))
        .routes(routes!(deactivate_version))
        .routes(routes!(activate_version))
        .routes(routes!(list_aliases))
        .routes(routes!(set_alias, delete_alias))
        .routes(routes!(alias_history))
        .routes(routes!(limits))
}

/// This module's route rows that take uploads (see `rest::upload_endpoints`).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_file, put_file, delete_file))
}
