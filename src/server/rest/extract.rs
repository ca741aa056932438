//! Extractors for JSON bodies and query strings whose rejections use the common error body.

use crate::domain::error::ApiError;
use crate::server::error::AppError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body: 400 when it is not JSON, 422 when fields are wrong, 413 when too large, 415 when
/// the content type is not JSON.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection).into()),
        }
    }
}

pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::new(
            422,
            "INVALID_FIELD",
            format!(
                "The request body has a field that is missing, unknown or of the wrong type: {}",
                e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            ),
            "Compare the body with the endpoint's schema in GET /api/v1/openapi.json.",
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            400,
            "MALFORMED_JSON",
            "The request body is not valid JSON.",
            "Send a JSON object, for example {\"name\": \"churn-model\"}.",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "The request body must be JSON.",
            "Send the header 'Content-Type: application/json'.",
        ),
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            body_too_large()
        }
        other => ApiError::new(
            400,
            "MALFORMED_REQUEST",
            format!("The request body could not be read: {}", other.body_text()),
            "Send the request again.",
        ),
    }
}

pub fn body_too_large() -> ApiError {
    ApiError::new(
        413,
        "BODY_TOO_LARGE",
        "The request body is larger than this endpoint accepts.",
        "Send a smaller body: JSON bodies are limited to 1 MiB unless the server is configured otherwise (--max-json-bytes).",
    )
}

/// A query string: 400 when a value has the wrong type.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection).into()),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::new(
        400,
        "INVALID_QUERY",
        format!(
            "The query string could not be read: {}",
            rejection
                .body_text()
                .trim_start_matches("Failed to deserialize query string: ")
        ),
        "Check the query parameters: offset and limit are whole numbers.",
    )
}
