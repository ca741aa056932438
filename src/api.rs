//! Server functions the pages call, grouped by domain. Each is thin: who is calling → may they →
//! the service → a DTO. Errors are [`ApiError`]s, the same the REST API answers with.

pub mod access;
pub mod admin;
pub mod datasets;
pub mod feature_impact;
pub mod identity;
pub mod jobs;
pub mod models;
pub mod versions;

#[cfg(feature = "ssr")]
pub mod context {
    //! What every server function starts from: the shared state, the request, the caller.

    use crate::domain::error::ApiError;
    use crate::server::auth::{Caller, CallerMemo, resolve_caller};
    use crate::server::error::AppError;
    use crate::server::state::AppState;
    use axum::http::request::Parts;
    use leptos::prelude::{expect_context, use_context};

    /// The shared state: from the request's context, or (for a resource whose component was
    /// replaced while it loaded) the one this process serves with, so such a call finishes
    /// instead of taking its page down with it.
    pub fn state() -> AppState {
        use_context::<AppState>()
            .or_else(crate::server::state::serving)
            .unwrap_or_else(expect_context::<AppState>)
    }

    pub fn request() -> Result<Parts, ApiError> {
        use_context::<Parts>().ok_or_else(ApiError::internal)
    }

    /// Whether the request is a plain HTML form post (JavaScript off), which is answered with a
    /// redirect rather than data.
    pub fn is_form_post() -> bool {
        use_context::<Parts>()
            .and_then(|p| {
                p.headers
                    .get(axum::http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false)
    }

    /// Turns a server error into what the page shows; the HTTP status is set for script callers
    /// (a form post must stay a redirect so the browser comes back to the form).
    pub fn fail(error: impl Into<AppError>) -> ApiError {
        let error = error.into().into_api_error().for_page();
        if !is_form_post()
            && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = axum::http::StatusCode::from_u16(error.status)
        {
            response.set_status(status);
            if let Some(seconds) = error.retry_after_secs {
                response.insert_header(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(seconds),
                );
            }
        }
        error
    }

    /// Adds a `Set-Cookie` header to the response.
    pub fn set_cookie(cookie: &str) {
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::HeaderValue::from_str(cookie),
        ) {
            response.append_header(axum::http::header::SET_COOKIE, value);
        }
    }

    /// The caller; in a page render, looked up once for all its server functions.
    pub async fn caller() -> Result<Option<Caller>, ApiError> {
        let parts = request()?;
        let state = state();
        match use_context::<CallerMemo>() {
            Some(memo) => memo.resolve(&state, &parts.headers).await,
            None => resolve_caller(&state, &parts.headers).await,
        }
        .map_err(fail)
    }

    pub async fn require_caller() -> Result<Caller, ApiError> {
        caller()
            .await?
            .ok_or_else(|| fail(ApiError::not_authenticated()))
    }
}
