//! The REST API under `/api/v1`: thin handlers that find the caller, call a service and answer
//! JSON. Request bodies and queries are read by extractors that turn every rejection into the
//! common error body.

pub mod access;
pub mod aliases;
pub mod audit;
pub mod datasets;
pub mod extract;
pub mod feature_impact;
pub mod files;
pub mod identity;
pub mod jobs;
pub mod models;
pub mod multipart;
pub mod openapi;
pub mod page_json;
pub mod teams;
pub mod users;
pub mod versions;

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::server::error::error_response;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::map_response;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

/// The REST endpoints whose request bodies are JSON (or absent): each module's route rows. The
/// router, [`route_paths`] and the OpenAPI document are all built from these rows and
/// [`upload_endpoints`], so what is served, listed and documented cannot differ.
fn json_endpoints() -> OpenApiRouter<AppState> {
    [
        identity::routes(),
        users::routes(),
        teams::routes(),
        audit::routes(),
        models::routes(),
        access::routes(),
        versions::routes(),
        files::routes(),
        aliases::routes(),
        feature_impact::routes(),
        jobs::routes(),
        datasets::routes(),
        openapi::routes(),
    ]
    .into_iter()
    .fold(OpenApiRouter::new(), OpenApiRouter::merge)
}

/// The endpoints that take uploads (files, datasets), bounded per file by the upload limit
/// instead of the JSON limit; their other methods take no body.
fn upload_endpoints() -> OpenApiRouter<AppState> {
    versions::upload_routes()
        .merge(files::upload_routes())
        .merge(datasets::upload_routes())
}

/// Every REST endpoint, each group under its body limit (JSON bodies by `max_json_bytes`, 413
/// beyond), with the OpenAPI description of their operations.
fn endpoints(max_json_bytes: usize) -> OpenApiRouter<AppState> {
    let bounded = json_endpoints().layer(axum::middleware::from_fn_with_state(
        max_json_bytes,
        extract::bound_body,
    ));
    let uploads = upload_endpoints()
        .layer(DefaultBodyLimit::disable())
        .layer(map_response(close_after_refused_upload));
    bounded.merge(uploads)
}

/// The REST router; JSON bodies are bounded by `max_json_bytes` (413 beyond).
pub fn routes(max_json_bytes: usize) -> Router<AppState> {
    let (router, _) = endpoints(max_json_bytes).split_for_parts();
    router
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// The operations of every REST endpoint, as the route rows describe them.
pub fn operations() -> utoipa::openapi::OpenApi {
    endpoints(0).split_for_parts().1
}

/// The path of every REST endpoint, in the router's syntax (`/api/v1/models/{model}`).
pub fn route_paths() -> Vec<String> {
    operations().paths.paths.into_keys().collect()
}

/// An upload refused before its body was read leaves the rest of that body on the connection;
/// the server then closes it. Saying so lets a client that reuses connections open a new one
/// instead of failing its next request.
pub async fn close_after_refused_upload(mut response: Response) -> Response {
    if response.status().is_client_error() || response.status().is_server_error() {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

pub async fn api_not_found() -> Response {
    error_response(ApiError::new(
        404,
        codes::NOT_FOUND,
        "There is no such API endpoint.",
        "See GET /api/v1/openapi.json for the endpoints that exist.",
    ))
}

async fn method_not_allowed() -> Response {
    error_response(ApiError::new(
        405,
        codes::METHOD_NOT_ALLOWED,
        "This endpoint does not accept this HTTP method.",
        "See GET /api/v1/openapi.json for the methods each endpoint takes.",
    ))
}
