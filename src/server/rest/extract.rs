//! Extractors for JSON bodies and query strings whose rejections use the common error body, and
//! the bound on every JSON request body.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::server::error::{AppError, error_response};
use crate::server::rest::multipart::discard_rest;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// A JSON object body: 400 when it is not JSON, 422 when it is JSON but not an object or its
/// fields are wrong, 413 when too large, 415 when the content type is not JSON.
pub struct ApiJson<T>(pub T);

impl<T> FromRequest<AppState> for ApiJson<T>
where
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(not_json().into());
        }
        let bytes = read_bounded(req.into_body(), state.settings.max_json_bytes).await?;
        Ok(ApiJson(parse_object(&bytes)?))
    }
}

/// Whether the request says its body is JSON (`application/json`, `application/…+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or_default().trim();
            let essence = essence.to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
}

fn not_json() -> ApiError {
    ApiError::new(
        415,
        codes::UNSUPPORTED_MEDIA_TYPE,
        "The request body must be JSON.",
        "Send the header 'Content-Type: application/json'.",
    )
}

fn malformed_json() -> ApiError {
    ApiError::new(
        400,
        codes::MALFORMED_JSON,
        "The request body is not valid JSON.",
        "Send a JSON object, for example {\"name\": \"churn-model\"}.",
    )
}

/// Decodes a body that the contract says is a JSON object. Serde would read a struct from an
/// array of its fields in order (`["name", "description"]`); that is refused here.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first: decoding into `T` can stop at an unknown field before it reaches the end of
    // a body that is not JSON at all.
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
        return Err(malformed_json());
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        let kind = match first {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b'n') => "null",
            Some(b't' | b'f') => "a boolean",
            _ => "a number",
        };
        return Err(ApiError::new(
            422,
            codes::BODY_NOT_AN_OBJECT,
            format!("The request body is {kind}; this endpoint takes a JSON object."),
            "Send the fields as an object, for example {\"name\": \"churn-model\"}; see GET /api/v1/openapi.json.",
        ));
    }
    match axum::Json::<T>::from_bytes(bytes) {
        Ok(axum::Json(value)) => Ok(value),
        Err(rejection) => Err(json_rejection(rejection)),
    }
}

/// Reads a body of at most `limit` bytes. A larger one is refused with 413, but only after a
/// bounded amount more has been read and thrown away: a client still sending then receives the
/// answer instead of a broken connection.
pub async fn read_bounded(body: Body, limit: usize) -> Result<Bytes, AppError> {
    let mut stream = body.into_data_stream();
    let mut bytes = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                400,
                codes::MALFORMED_REQUEST,
                format!("The request body could not be read: {e}"),
                "Send the request again.",
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            discard_rest(stream).await;
            return Err(body_too_large().into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// Middleware for every route whose body is JSON (or a form) rather than an upload: a body
/// declared or found larger than `limit` is refused with 413 after draining it (see
/// [`read_bounded`]); otherwise the handler gets it buffered. Installed with
/// `from_fn_with_state(limit, bound_body)`.
pub async fn bound_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = if declared.is_some_and(|n| n > limit as u64) {
        discard_rest(body.into_data_stream()).await;
        Err(body_too_large().into())
    } else {
        read_bounded(body, limit).await
    };
    match read {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            let mut response = error_response(e.into_api_error());
            // Whatever the drain did not read is still on the connection.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
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
                    codes::INVALID_FIELD,
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
                    codes::INVALID_FIELD,
                    format!("The request body has a number that is too large: {detail}"),
                    "Send numbers within the range of a 64-bit float (about ±1.8e308).",
                )
            }
        }
        JsonRejection::JsonSyntaxError(_) => malformed_json(),
        JsonRejection::MissingJsonContentType(_) => not_json(),
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            body_too_large()
        }
        other => ApiError::new(
            400,
            codes::MALFORMED_REQUEST,
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
        codes::BODY_TOO_LARGE,
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
        codes::INVALID_QUERY,
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

    #[test]
    fn only_objects_are_bodies() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Named {
            name: String,
            description: Option<String>,
        }
        for (body, kind) in [
            (r#"["arraymodel", "desc"]"#, "an array"),
            (r#"  "text""#, "a string"),
            ("null", "null"),
            ("true", "a boolean"),
            ("-4.5", "a number"),
        ] {
            let error = parse_object::<Named>(body.as_bytes()).expect_err(body);
            assert_eq!(error.status, 422, "{body}");
            assert_eq!(error.error_code, "BODY_NOT_AN_OBJECT", "{body}");
            assert!(
                error.error_msg.contains(kind),
                "{body}: {}",
                error.error_msg
            );
        }
        for broken in ["", "[1,", "{", "nul", r#"{"unknown": "#] {
            let error = parse_object::<Named>(broken.as_bytes()).expect_err(broken);
            assert_eq!(error.error_code, "MALFORMED_JSON", "{broken:?}");
        }
        let named: Named = parse_object(br#" {"name": "churn"}"#).expect("an object");
        assert_eq!(named.name, "churn");
    }

    #[test]
    fn json_content_types() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            headers
        };
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/problem+json",
        ] {
            assert!(is_json(&headers(yes)), "{yes}");
        }
        for no in [
            "text/plain",
            "application/jsonp",
            "multipart/form-data; boundary=x+json",
        ] {
            assert!(!is_json(&headers(no)), "{no}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}

/// `?search=&offset=&limit=` for users and teams.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}
