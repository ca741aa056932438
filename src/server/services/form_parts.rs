//! An upload as the services read it: named parts in the order the client sent them, each a
//! text field or a file whose bytes arrive as a stream. The transport that carried the upload
//! (`multipart/form-data`, read in `rest::multipart`) hands the parts over one at a time, so a
//! file streams into the blob store as it arrives and is never held in memory.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::server::error::{AppError, AppResult};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::fmt;
use std::future::Future;

/// Where the parts of an upload come from.
pub trait FormParts: Send {
    /// The next part, or `None` after the last one.
    fn next_part(&mut self) -> impl Future<Output = AppResult<Option<FormPart<'_>>>> + Send;

    /// Reads and throws away what is left (within bounds), so that a client still sending a
    /// refused upload receives the answer instead of a broken connection.
    fn discard_rest(&mut self) -> impl Future<Output = ()> + Send;
}

/// One part of an upload: its field name, the file name the client gave it (file parts only;
/// empty for a file input left empty), and its bytes.
pub struct FormPart<'a> {
    pub name: String,
    pub file_name: Option<String>,
    pub body: BoxStream<'a, Result<Bytes, PartError>>,
}

impl FormPart<'_> {
    /// Reads the part as UTF-8 text, refusing one larger than `max` bytes (413).
    pub async fn text(mut self, max: usize) -> AppResult<String> {
        let name = self.name;
        let mut bytes = Vec::new();
        while let Some(chunk) = self.body.next().await {
            let chunk = chunk.map_err(|e| AppError::from(*e.error))?;
            if bytes.len() + chunk.len() > max {
                return Err(ApiError::new(
                    413,
                    codes::FIELD_TOO_LARGE,
                    format!("The form field '{name}' is larger than {max} bytes."),
                    "Keep fields small; upload large content as a file.",
                )
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        String::from_utf8(bytes).map_err(|_| {
            ApiError::invalid(
                &name,
                codes::INVALID_FIELD,
                format!("The form field '{name}' is not UTF-8 text."),
                "Send text fields as UTF-8.",
            )
            .into()
        })
    }
}

/// A part's bytes could not be read: the body is malformed, or the client went away.
#[derive(Debug)]
pub struct PartError {
    /// How the transport describes the failure; the message of an interrupted file quotes it.
    pub description: String,
    /// The answer when a text field cannot be read.
    pub error: Box<ApiError>,
}

impl fmt::Display for PartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}
