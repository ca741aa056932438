//! Upload bodies on the wire: `multipart/form-data` read part by part for the services, which
//! see plain [`FormParts`] (a name, a file name, a stream of bytes), and what is left of a
//! refused body read and thrown away, so that a client still sending receives the answer.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::server::error::AppResult;
use crate::server::services::form_parts::{FormPart, FormParts, PartError};
use crate::server::state::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::time::Duration;

/// How much of a refused upload is still read (and thrown away) so that the client, which is
/// usually still sending, receives the answer instead of a broken connection. Past this, the
/// connection is closed.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
const DRAIN_MAX_TIME: Duration = Duration::from_secs(10);

/// Whether a request's body is sent as `multipart/form-data`.
pub fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// A `multipart/form-data` body, read one part at a time.
pub struct MultipartForm(Multipart);

impl From<Multipart> for MultipartForm {
    fn from(multipart: Multipart) -> Self {
        Self(multipart)
    }
}

impl MultipartForm {
    /// Reads a request as `multipart/form-data`; 400 when it cannot be (no boundary, say).
    pub async fn from_request(request: Request, state: &AppState) -> AppResult<Self> {
        let multipart = Multipart::from_request(request, state).await.map_err(|e| {
            ApiError::new(
                400,
                codes::MALFORMED_MULTIPART,
                format!("The multipart body could not be read: {}", e.body_text()),
                "Send multipart/form-data with a boundary in the Content-Type header.",
            )
        })?;
        Ok(Self(multipart))
    }
}

impl FormParts for MultipartForm {
    async fn next_part(&mut self) -> AppResult<Option<FormPart<'_>>> {
        let Some(field) = self.0.next_field().await.map_err(multipart_error)? else {
            return Ok(None);
        };
        Ok(Some(FormPart {
            name: field.name().unwrap_or_default().to_owned(),
            file_name: field.file_name().map(str::to_owned),
            body: field
                .map(|chunk| {
                    chunk.map_err(|e| PartError {
                        description: e.to_string(),
                        error: Box::new(multipart_error(e)),
                    })
                })
                .boxed(),
        }))
    }

    async fn discard_rest(&mut self) {
        let drain = async {
            let mut read = 0u64;
            while let Ok(Some(mut field)) = self.0.next_field().await {
                while let Ok(Some(chunk)) = field.chunk().await {
                    read += chunk.len() as u64;
                    if read > DRAIN_MAX_BYTES {
                        return;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_MAX_TIME, drain).await;
    }
}

fn multipart_error(e: MultipartError) -> ApiError {
    ApiError::new(
        400,
        codes::MALFORMED_MULTIPART,
        format!("The multipart body could not be read: {}", e.body_text()),
        "Send multipart/form-data with one part per field and one per file, the file's relative path as its file name.",
    )
}

/// Reads and discards what is left of a request body, within the bounds above.
pub async fn discard_rest<S, E>(body: S)
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let drain = async {
        let mut body = std::pin::pin!(body);
        let mut read = 0u64;
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.len() as u64;
            if read > DRAIN_MAX_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_MAX_TIME, drain).await;
}
