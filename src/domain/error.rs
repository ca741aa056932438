//! The one error shape every failure reaches a client in: an HTTP status plus
//! `error_code` / `error_msg` / `solution_msg`, optionally naming the input field at fault.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A failure as clients see it. Internal details never go in here; they are logged on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// An error code: one of [`codes`], the only values an [`ApiError`] is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code(&'static str);

impl Code {
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Defines each code as a constant named as its value, and [`codes::ALL`] listing them.
macro_rules! error_codes {
    ($($name:ident),* $(,)?) => {
        $(pub const $name: Code = Code(stringify!($name));)*
        /// Every code, in the order they are defined; the OpenAPI document's `error_code`
        /// enumerates these.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

/// Every error code the registry answers with: named once, matched by value
/// ([`ApiError::is`]), and listed in the API description.
pub mod codes {
    use super::Code;

    error_codes! {
        ACCOUNT_DEACTIVATED,
        ADMIN_ONLY,
        ALIAS_NOT_FOUND,
        ALIAS_PROTECTED,
        BAD_EXPORT,
        BODY_NOT_AN_OBJECT,
        BODY_TOO_LARGE,
        CANCELED,
        CANNOT_LOCK_YOURSELF_OUT,
        CROSS_ORIGIN_REQUEST,
        DATASET_BAD_ENCODING,
        DATASET_BAD_HEADER,
        DATASET_COLUMNS_MISSING,
        DATASET_EMPTY,
        DATASET_FILE_MISSING,
        DATASET_IN_USE,
        DATASET_NOT_FOUND,
        DATASET_ONE_FILE,
        DATASET_RAGGED_ROW,
        DATASET_REQUIRED,
        DATASET_ROW_TOO_LONG,
        DATASET_TOO_MANY_COLUMNS,
        DATASET_TOO_SMALL,
        DELETE_PATHS_WITHOUT_BASE,
        DUPLICATE_FEATURE,
        DUPLICATE_FILE_PATH,
        DUPLICATE_PRINCIPAL,
        EXPORT_DIR_NOT_EMPTY,
        FEATURES_DO_NOT_FIT_MODEL,
        FEATURE_COUNT_MISMATCH,
        FEATURE_IMPACT_NOT_FOUND,
        FIELD_AFTER_FILES,
        FIELD_TOO_LARGE,
        FILE_NOT_FOUND,
        FILE_TOO_LARGE,
        FORBIDDEN,
        HOLDOUT_IS_TRAINING_DATA,
        INTERNAL_ERROR,
        INVALID_ACCESS_CHANGES,
        INVALID_ALIAS,
        INVALID_BUMP,
        INVALID_CLASS_LABELS,
        INVALID_COMMIT_SHA,
        INVALID_CSV,
        INVALID_CSV_HEADER,
        INVALID_DATASET_NAME,
        INVALID_DESCRIPTION,
        INVALID_DISPLAY_NAME,
        INVALID_EXPIRY,
        INVALID_FEATURE_IMPACT_SETTINGS,
        INVALID_FEATURE_NAME,
        INVALID_FIELD,
        INVALID_FILE_PATH,
        INVALID_IMPACT,
        INVALID_METADATA,
        INVALID_METRIC,
        INVALID_METRICS,
        INVALID_MODEL_CARD,
        INVALID_MODEL_FILE,
        INVALID_MODEL_NAME,
        INVALID_ORDER_BY,
        INVALID_PAGING,
        INVALID_PASSWORD,
        INVALID_PIP_PACKAGES,
        INVALID_PREDICTION_URL,
        INVALID_PRINCIPAL,
        INVALID_PYTHON_VERSION,
        INVALID_QUERY,
        INVALID_README,
        INVALID_ROLE,
        INVALID_ROW_COUNT,
        INVALID_STATE,
        INVALID_TAGS,
        INVALID_TARGET_NAME,
        INVALID_TARGET_TYPE,
        INVALID_TEAM_NAME,
        INVALID_TIME,
        INVALID_TOKEN,
        INVALID_TOKEN_NAME,
        INVALID_URL,
        INVALID_USERNAME,
        INVALID_VERSION_NUMBER,
        INVALID_VISIBILITY,
        JOB_ALREADY_RUNNING,
        JOB_FINISHED,
        JOB_NOT_FOUND,
        LAST_ADMIN,
        LAST_OWNER,
        MALFORMED_JSON,
        MALFORMED_MULTIPART,
        MALFORMED_REQUEST,
        METHOD_NOT_ALLOWED,
        MODEL_CANNOT_RUN,
        MODEL_HAS_NO_TARGET,
        MODEL_NAME_TAKEN,
        MODEL_NOT_FOUND,
        MODEL_OVER_BUDGET,
        MODEL_UNREADABLE,
        NETWORK_ERROR,
        NON_NUMERIC_FEATURE,
        NOT_AUTHENTICATED,
        NOT_A_MEMBER,
        NOT_FOUND,
        NO_FEATURES,
        NO_FEATURE_IMPACTS,
        NO_MODEL,
        NO_ROWS_WITH_TARGET,
        NO_RUNNABLE_MODEL,
        NO_TRAINING_DATA,
        PASSWORDS_DIFFER,
        PREDICTION_FAILED,
        PREDICTION_HOST_NOT_ALLOWED,
        PREDICTION_SERVER_ERROR,
        PREDICTION_SERVER_UNREACHABLE,
        RAGGED_CSV_ROW,
        RANGE_NOT_SATISFIABLE,
        REGISTRY_NOT_EMPTY,
        ROLE_ABOVE_YOUR_OWN,
        SCHEMA_VERSION_DIFFERS,
        SETUP_LINK_INVALID,
        SEVERAL_MODELS,
        STORAGE_UNAVAILABLE,
        STORAGE_URL_INVALID,
        TARGET_NOT_FOUND,
        TARGET_NOT_IN_DATASET,
        TARGET_NOT_NUMERIC,
        TEAM_NAME_TAKEN,
        TEAM_NOT_FOUND,
        TOKEN_NOT_FOUND,
        TOO_MANY_ATTEMPTS,
        TOO_MANY_FEATURES,
        TOO_MANY_FILES,
        TOO_MANY_TOKENS,
        TRAINING_DATA_UNREADABLE,
        UNEXPECTED_RESPONSE,
        UNKNOWN_FIELD,
        UNSUPPORTED_MEDIA_TYPE,
        UNSUPPORTED_MODEL,
        UNSUPPORTED_OPERATORS,
        UNSUPPORTED_TARGET_TYPE,
        UNUSABLE_PREDICTIONS,
        UPLOAD_FAILED,
        UPLOAD_INTERRUPTED,
        USERNAME_TAKEN,
        USER_DEACTIVATED,
        USER_NOT_FOUND,
        VERSION_CANNOT_BE_PRIMARY,
        VERSION_HAS_PROTECTED_ALIAS,
        VERSION_INACTIVE,
        VERSION_IS_PRIMARY,
        VERSION_NOT_FOUND,
        VERSION_NOT_READY,
        VERSION_PUBLISHED,
        WRONG_CLASS_COUNT,
        WRONG_CREDENTIALS,
        WRONG_PASSWORD,
    }
}

/// Every "… not found" code ends so; a page shows such an error as its 404.
pub const NOT_FOUND_SUFFIX: &str = "_NOT_FOUND";

impl ApiError {
    /// Whether this is the error `code`.
    pub fn is(&self, code: Code) -> bool {
        self.error_code == code.as_str()
    }
}

/// How a refused plain form's fields come back in the address of the form's page:
/// `__in.<field name>=<typed value>` (see `server::kept_input`).
pub const KEPT_INPUT_PREFIX: &str = "__in.";

/// Whether a piece of text names a REST route.
fn names_api(text: &str) -> bool {
    text.contains("/api/v1")
}

/// `text` without parenthesized REST routes and without sentences (or `;` clauses) that name
/// one.
fn page_words(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(" (") {
        let Some(len) = rest[open..].find(')') else {
            break;
        };
        let inside = &rest[open..open + len + 1];
        kept.push_str(&rest[..open]);
        if !names_api(inside) {
            kept.push_str(inside);
        }
        rest = &rest[open + len + 1..];
    }
    kept.push_str(rest);
    let mut out = String::with_capacity(kept.len());
    for sentence in sentences(&kept) {
        if !names_api(sentence) {
            out.push_str(sentence);
        }
    }
    let out = out.trim();
    // A clause dropped after a `;` leaves the sentence ending in one.
    match out.strip_suffix(';') {
        Some(cut) => format!("{}.", cut.trim_end()),
        None => out.to_owned(),
    }
}

/// `text` cut after each ". " or "; " (the mark and its space stay with the piece before), so
/// version numbers and file names with dots stay whole.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .match_indices(". ")
            .chain(rest.match_indices("; "))
            .map(|(i, _)| i + 2)
            .min()
            .unwrap_or(rest.len());
        let (piece, after) = rest.split_at(end);
        rest = after;
        Some(piece)
    })
}

impl ApiError {
    pub fn new(
        status: u16,
        error_code: Code,
        error_msg: impl Into<String>,
        solution_msg: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_code: error_code.as_str().to_owned(),
            error_msg: error_msg.into(),
            solution_msg: solution_msg.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    /// A 422 for one input field.
    pub fn invalid(
        field: &str,
        error_code: Code,
        error_msg: impl Into<String>,
        solution_msg: impl Into<String>,
    ) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(422, error_code, error_msg, solution_msg)
        }
    }

    /// The same error, worded for someone on a page rather than a script: REST routes named in
    /// parentheses ("(PUT /api/v1/…)") and sentences that only point at the API are left out.
    /// The page offers the way to do it.
    pub fn for_page(mut self) -> Self {
        self.error_msg = page_words(&self.error_msg);
        let solution = page_words(&self.solution_msg);
        self.solution_msg = if solution.is_empty() {
            "Check the form and try again.".to_owned()
        } else {
            solution
        };
        self
    }

    /// The same error, about another input field.
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
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
            codes::NOT_AUTHENTICATED,
            "You are not signed in.",
            "Sign in, or send an API token as 'Authorization: Bearer <token>'.",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            403,
            codes::FORBIDDEN,
            format!("You are not allowed to {what}."),
            "Ask an owner of the model, or an admin, for a role that allows it.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            codes::INTERNAL_ERROR,
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
                codes::NETWORK_ERROR,
                format!("The server could not be reached: {msg}"),
                "Check your connection and try again.",
            ),
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => Self::new(
                400,
                codes::MALFORMED_REQUEST,
                format!("The request could not be read: {msg}"),
                "Reload the page and submit the form again.",
            ),
            _ => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(error_msg: &str, solution_msg: &str) -> ApiError {
        ApiError::new(409, codes::VERSION_PUBLISHED, error_msg, solution_msg).for_page()
    }

    #[test]
    fn pages_get_words_without_rest_routes() {
        let e = page(
            "Version 0.1.0 is the model's promoted primary version.",
            "Promote another version first (PUT /api/v1/models/churn/primary), then deactivate this one.",
        );
        assert_eq!(
            e.error_msg,
            "Version 0.1.0 is the model's promoted primary version."
        );
        assert_eq!(
            e.solution_msg,
            "Promote another version first, then deactivate this one."
        );

        let e = page(
            "x",
            "Send the fields as an object; see GET /api/v1/openapi.json.",
        );
        assert_eq!(e.solution_msg, "Send the fields as an object.");

        let e = page(
            "x",
            "See GET /api/v1/openapi.json for the endpoints that exist.",
        );
        assert_eq!(e.solution_msg, "Check the form and try again.");

        let e = page("x", "Use a name like churn-v2 (letters, digits and '-').");
        assert_eq!(
            e.solution_msg,
            "Use a name like churn-v2 (letters, digits and '-')."
        );
    }
}
