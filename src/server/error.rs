//! The server's one error type. Client-facing failures carry an [`ApiError`]; anything else is
//! logged with its details and reaches the client as a plain 500.

use crate::domain::error::ApiError;
use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Api(ApiError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError::Api(e)
    }
}

impl AppError {
    /// What the client is told; internal failures are logged here, once.
    pub fn into_api_error(self) -> ApiError {
        match self {
            AppError::Api(e) => e,
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::internal()
            }
        }
    }
}

pub fn error_response(error: ApiError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry_after = error.retry_after_secs.map(HeaderValue::from);
    let mut response = (status, Json(error)).into_response();
    if let Some(value) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        error_response(self.into_api_error())
    }
}

pub type AppResult<T> = Result<T, AppError>;
