//! A page of a long list as a JSON answer, written into a buffer of about its final size.

use crate::domain::paging::Page;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What one entry of a page takes as JSON, roughly: a model with its card, a version with its
/// usage snippets. Too little costs a copy of what was written each time the buffer doubles
/// (axum's `Json` starts at 128 bytes, so a page of 100 models was copied ten times); too much
/// costs only memory that is freed with the answer.
const BYTES_PER_ENTRY: usize = 1024;

/// [`axum::Json`] for a [`Page`].
pub struct PageJson<T>(pub Page<T>);

impl<T: Serialize> IntoResponse for PageJson<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(256 + BYTES_PER_ENTRY * self.0.data.len());
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            // As axum's `Json` answers it; serializing plain data does not fail.
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    }
}
