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
        JsonRejection::JsonDataError(e) => {
            let detail = e
                .body_text()
                .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
                .to_owned();
            ApiError {
                field: error_field(&detail),
                ..ApiError::new(
                    422,
                    "INVALID_FIELD",
                    format!(
                        "The request body has a field that is missing, unknown or of the wrong type: {detail}"
                    ),
                    "Compare the body with the endpoint's schema in GET /api/v1/openapi.json.",
                )
            }
        }
        // Valid JSON, but a number no 64-bit float can hold (1e999): the value is wrong, not the
        // syntax.
        JsonRejection::JsonSyntaxError(e) if e.body_text().contains("number out of range") => {
            let detail = e
                .body_text()
                .trim_start_matches("Failed to parse the request body as JSON: ")
                .to_owned();
            ApiError {
                field: error_field(&detail),
                ..ApiError::new(
                    422,
                    "INVALID_FIELD",
                    format!("The request body has a number that is too large: {detail}"),
                    "Send numbers within the range of a 64-bit float (about ±1.8e308).",
                )
            }
        }
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

/// The field a JSON error is about, from the path the decoder puts before its message
/// (`feature_impacts[1].impact_unnormalized: invalid type: …`); `None` for the body as a whole.
fn error_field(detail: &str) -> Option<String> {
    let (path, _) = detail.split_once(": ")?;
    let is_path = !path.is_empty()
        && path != "."
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
    is_path.then(|| path.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Entry {
        name: String,
        value: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        entries: Vec<Entry>,
    }

    fn rejection(body: &str) -> ApiError {
        match axum::Json::<Body>::from_bytes(body.as_bytes()) {
            Ok(_) => panic!("{body} should be refused"),
            Err(r) => json_rejection(r),
        }
    }

    #[test]
    fn data_errors_name_the_field() {
        let wrong_type = rejection(r#"{"entries": [{"name": "a", "value": "big"}]}"#);
        assert_eq!(wrong_type.status, 422);
        assert_eq!(wrong_type.field.as_deref(), Some("entries[0].value"));
        let unknown = rejection(r#"{"entries": [{"name": "a", "value": 1, "extra": 2}]}"#);
        assert_eq!(unknown.status, 422);
        assert!(unknown.error_msg.contains("extra"), "{}", unknown.error_msg);
        assert!(
            unknown
                .field
                .as_deref()
                .is_some_and(|f| f.starts_with("entries[0]")),
            "{unknown:?}"
        );
        let missing = rejection(r#"{}"#);
        assert_eq!(missing.status, 422);
        assert_eq!(missing.field, None);
    }

    #[test]
    fn numbers_too_large_are_invalid_values_not_bad_json() {
        let huge = rejection(r#"{"entries": [{"name": "a", "value": 1e999}]}"#);
        assert_eq!(huge.status, 422);
        assert_eq!(huge.error_code, "INVALID_FIELD");
        assert_eq!(huge.field.as_deref(), Some("entries[0].value"));
        assert_eq!(rejection(r#"{"entries": ["#).status, 400);
    }
}
