//! The REST API under `/api/v1`: thin handlers that find the caller, call a service and answer
//! JSON. Request bodies and queries are read by extractors that turn every rejection into the
//! common error body.

pub mod access;
pub mod audit;
pub mod datasets;
pub mod extract;
pub mod feature_impact;
pub mod identity;
pub mod jobs;
pub mod models;
pub mod openapi;
pub mod teams;
pub mod users;
pub mod versions;

use crate::domain::error::ApiError;
use crate::server::error::error_response;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post, put};

/// Every REST endpoint whose request bodies are JSON: its path and the handlers of its methods.
/// The router and [`route_paths`] are both built from this table and [`upload_endpoints`], so
/// what is served and what is listed cannot differ.
fn endpoints() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/v1/me", get(identity::me)),
        (
            "/api/v1/tokens",
            get(identity::list_tokens).post(identity::create_token),
        ),
        ("/api/v1/tokens/{id}", delete(identity::revoke_token)),
        ("/api/v1/me/password", put(users::change_password)),
        (
            "/api/v1/users",
            get(users::list_users).post(users::create_user),
        ),
        (
            "/api/v1/users/{username}",
            get(users::get_user).patch(users::update_user),
        ),
        (
            "/api/v1/teams",
            get(teams::list_teams).post(teams::create_team),
        ),
        (
            "/api/v1/teams/{team}",
            get(teams::get_team).delete(teams::delete_team),
        ),
        (
            "/api/v1/teams/{team}/members/{username}",
            put(teams::add_team_member).delete(teams::remove_team_member),
        ),
        ("/api/v1/audit", get(audit::list_audit)),
        (
            "/api/v1/models",
            get(models::list_models).post(models::create_model),
        ),
        (
            "/api/v1/models/{model}",
            get(models::get_model)
                .patch(models::update_model)
                .delete(models::delete_model),
        ),
        (
            "/api/v1/models/{model}/access",
            get(access::list_access).patch(access::update_access),
        ),
        (
            "/api/v1/models/{model}/downloads",
            get(models::model_downloads),
        ),
        ("/api/v1/models/{model}/copy", post(versions::copy_model)),
        (
            "/api/v1/models/{model}/primary",
            put(versions::promote_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}",
            get(versions::get_version)
                .patch(versions::update_version)
                .delete(versions::delete_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/files",
            get(versions::list_files),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/download",
            get(versions::download_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/publish",
            post(versions::publish_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/deactivate",
            post(versions::deactivate_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/activate",
            post(versions::activate_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/feature-impact",
            get(feature_impact::get_feature_impact)
                .post(feature_impact::start_feature_impact)
                .put(feature_impact::import_feature_impact),
        ),
        (
            "/api/v1/models/{model}/aliases",
            get(versions::list_aliases),
        ),
        (
            "/api/v1/models/{model}/aliases/{alias}",
            put(versions::set_alias).delete(versions::delete_alias),
        ),
        (
            "/api/v1/models/{model}/aliases/{alias}/history",
            get(versions::alias_history),
        ),
        (
            "/api/v1/jobs/{id}",
            get(jobs::get_job).delete(jobs::cancel_job),
        ),
        ("/api/v1/jobs/{id}/log", get(jobs::job_log)),
        (
            "/api/v1/datasets/{id}",
            get(datasets::get_dataset).delete(datasets::delete_dataset),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/training-data",
            put(datasets::set_training_data).delete(datasets::clear_training_data),
        ),
        ("/api/v1/limits", get(versions::limits)),
        ("/api/v1/openapi.json", get(openapi::openapi)),
    ]
}

/// The endpoints that take uploads (files, datasets), bounded per file by the upload limit
/// instead of the JSON limit; their other methods take no body.
fn upload_endpoints() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (
            "/api/v1/models/{model}/versions",
            get(versions::list_versions).post(versions::create_version),
        ),
        (
            "/api/v1/models/{model}/versions/{version}/files/{*path}",
            get(versions::get_file)
                .put(versions::put_file)
                .delete(versions::delete_file),
        ),
        (
            "/api/v1/datasets",
            get(datasets::list_datasets).post(datasets::create_dataset),
        ),
    ]
}

/// The REST router; JSON bodies are bounded by `max_json_bytes` (413 beyond).
pub fn routes(max_json_bytes: usize) -> Router<AppState> {
    let bounded = endpoints().into_iter().map(|(path, methods)| {
        let methods = methods.layer(axum::middleware::from_fn_with_state(
            max_json_bytes,
            extract::bound_body,
        ));
        (path, methods)
    });
    let uploads = upload_endpoints().into_iter().map(|(path, methods)| {
        let methods = methods
            .layer(DefaultBodyLimit::disable())
            .layer(map_response(close_after_refused_upload));
        (path, methods)
    });
    bounded
        .chain(uploads)
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// The path of every REST endpoint, in the router's syntax (`/api/v1/models/{model}`).
pub fn route_paths() -> Vec<&'static str> {
    endpoints()
        .into_iter()
        .chain(upload_endpoints())
        .map(|(path, _)| path)
        .collect()
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
        "NOT_FOUND",
        "There is no such API endpoint.",
        "See GET /api/v1/openapi.json for the endpoints that exist.",
    ))
}

async fn method_not_allowed() -> Response {
    error_response(ApiError::new(
        405,
        "METHOD_NOT_ALLOWED",
        "This endpoint does not accept this HTTP method.",
        "See GET /api/v1/openapi.json for the methods each endpoint takes.",
    ))
}
