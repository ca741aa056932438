//! The one error shape every failure reaches a client in: an HTTP status plus
//! `error_code` / `error_msg` / `solution_msg`, optionally naming the input field at fault.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A failure as clients see it. Internal details never go in here; they are logged on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub error_code: String,
    pub error_msg: String,
    pub solution_msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds until the same request may succeed (a 429's `Retry-After` header).
    #[serde(skip)]
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: u16,
        error_code: &str,
        error_msg: impl Into<String>,
        solution_msg: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_code: error_code.to_owned(),
            error_msg: error_msg.into(),
            solution_msg: solution_msg.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    /// A 422 for one input field.
    pub fn invalid(
        field: &str,
        error_code: &str,
        error_msg: impl Into<String>,
        solution_msg: impl Into<String>,
    ) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(422, error_code, error_msg, solution_msg)
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds);
        self
    }

    pub fn not_authenticated() -> Self {
        Self::new(
            401,
            "NOT_AUTHENTICATED",
            "You are not signed in.",
            "Sign in, or send an API token as 'Authorization: Bearer <token>'.",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            403,
            "FORBIDDEN",
            format!("You are not allowed to {what}."),
            "Ask an owner of the model, or an admin, for a role that allows it.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "INTERNAL_ERROR",
            "Something went wrong on the server.",
            "Try again; if it keeps happening, tell your admin (the server log has the details).",
        )
    }

    /// Whether this error is about the given form field (for inline messages).
    pub fn is_for(&self, field: &str) -> bool {
        self.field.as_deref() == Some(field)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.error_msg, self.solution_msg)
    }
}

impl std::error::Error for ApiError {}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(msg) => Self::new(
                503,
                "NETWORK_ERROR",
                format!("The server could not be reached: {msg}"),
                "Check your connection and try again.",
            ),
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => Self::new(
                400,
                "MALFORMED_REQUEST",
                format!("The request could not be read: {msg}"),
                "Reload the page and submit the form again.",
            ),
            _ => Self::internal(),
        }
    }
}
