//! A version's files: listing, reading (ranges, ETags), writing and removing one, and the whole
//! version as a zip.

use crate::domain::byte_range::{ByteRange, parse_range};
use crate::domain::download::{DownloadKind, counts_as_download};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::file_path::file_name;
use crate::domain::paging::Whole;
use crate::domain::version::VersionFile;
use crate::server::archive::zip_body;
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::{AppError, AppResult};
use crate::server::rest::multipart::{self};
use crate::server::rest::openapi::says;
use crate::server::services::{downloads, files};
use crate::server::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
                codes::RANGE_NOT_SATISFIABLE,
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

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files))
        .routes(routes!(download_version))
}

/// This module's route rows that take uploads (see `rest::upload_endpoints`).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_file, put_file, delete_file))
}
