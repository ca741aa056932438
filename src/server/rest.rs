//! The REST API under `/api/v1`: thin handlers that find the caller, call a service and answer
//! JSON. Request bodies and queries are read by extractors that turn every rejection into the
//! common error body.

pub mod extract;
pub mod identity;
pub mod models;
pub mod openapi;

use crate::domain::error::ApiError;
use crate::server::error::error_response;
use crate::server::state::AppState;
use axum::Router;
use axum::response::Response;
use axum::routing::{delete, get};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(identity::me))
        .route(
            "/api/v1/tokens",
            get(identity::list_tokens).post(identity::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(identity::revoke_token))
        .route(
            "/api/v1/models",
            get(models::list_models).post(models::create_model),
        )
        .route(
            "/api/v1/models/{model}",
            get(models::get_model)
                .patch(models::update_model)
                .delete(models::delete_model),
        )
        .route("/api/v1/openapi.json", get(openapi::openapi))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
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
