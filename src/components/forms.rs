//! Form pieces: error messages, page-level and next to the field they are about.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use leptos::prelude::*;

/// A failure, as the user sees it: what went wrong and what to do.
#[component]
pub fn ErrorAlert(error: ApiError) -> impl IntoView {
    view! {
        <div role="alert" class="my-4 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
            <p class="font-medium">{error.error_msg}</p>
            <p class="mt-1 text-red-700">{error.solution_msg}</p>
        </div>
    }
}

/// What was typed into `field` of a form posted to `server_fn_path` that was refused without
/// JavaScript: the server sends it back in the page's address, so the form starts from it
/// instead of from empty.
pub fn kept_input(server_fn_path: &'static str, field: &'static str) -> Option<String> {
    let query = leptos_router::hooks::use_query_map();
    let posted_here = query.with_untracked(|q| q.get("__path").as_deref() == Some(server_fn_path));
    posted_here.then(|| kept_field(field)).flatten()
}

/// What was typed into `field` of a plain form the server refused and sent back here (the
/// upload form's, which is not a server function), or nothing.
pub fn kept_field(field: &str) -> Option<String> {
    use crate::domain::error::KEPT_INPUT_PREFIX;
    leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get(&format!("{KEPT_INPUT_PREFIX}{field}")))
}

/// What a refused plain upload came back with: the error, the field it is about, and what was
/// typed (the server sends all of it back in the address). Read on the server and handed to
/// the upload island, which runs without the router.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefusedUpload {
    pub error: Option<ApiError>,
    pub field: String,
    pub kept: std::collections::BTreeMap<String, String>,
}

impl RefusedUpload {
    /// The refusal in the address of the page being rendered, if any.
    pub fn from_page() -> Self {
        use crate::domain::error::KEPT_INPUT_PREFIX;
        let (error, field) = refused_upload();
        let kept = leptos_router::hooks::use_query_map().with_untracked(|q| {
            q.clone()
                .into_iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(KEPT_INPUT_PREFIX)?.to_owned(), v)))
                .collect()
        });
        Self {
            error: error.get_untracked(),
            field: field.get_untracked(),
            kept,
        }
    }

    /// What was typed into `field`, or empty.
    pub fn kept(&self, field: &str) -> String {
        self.kept.get(field).cloned().unwrap_or_default()
    }
}

/// The error a refused upload (a plain multipart post, not a server function) came back with,
/// and the field it is about: the server sends both back in the address
/// (`?error=&solution=&field=`).
pub fn refused_upload() -> (Memo<Option<ApiError>>, Memo<String>) {
    let query = leptos_router::hooks::use_query_map();
    let error = Memo::new(move |_| {
        query.with(|q| {
            q.get("error").map(|msg| {
                ApiError::new(
                    422,
                    codes::UPLOAD_FAILED,
                    msg,
                    q.get("solution").unwrap_or_default(),
                )
            })
        })
    });
    let field = Memo::new(move |_| query.with(|q| q.get("field").unwrap_or_default()));
    (error, field)
}

/// The message of the last submission's error, if it is about `field`.
pub fn field_error<T: Send + Sync + 'static>(
    result: Signal<Option<Result<T, ApiError>>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        result.with(|r| match r {
            Some(Err(e)) if e.is_for(field) => Some(e.error_msg.clone()),
            _ => None,
        })
    })
}

/// A message under an input, announced when it appears; `id` is what the input's
/// `aria-describedby` points at.
#[component]
pub fn FieldMessage(id: &'static str, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="mt-1 text-sm text-red-700">
            {move || message.get().map(|m| view! { <span role="alert">{m}</span> })}
        </p>
    }
}

/// The last submission's error, unless one of `inline_fields` shows it next to its input.
#[component]
pub fn FormError<T: Send + Sync + 'static>(
    result: Signal<Option<Result<T, ApiError>>>,
    #[prop(optional)] inline_fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        result.with(|r| match r {
            Some(Err(e)) if !inline_fields.iter().any(|f| e.is_for(f)) => {
                Some(view! { <ErrorAlert error=e.clone() /> })
            }
            _ => None,
        })
    }
}

/// An error that is the whole page's answer: the message, and on the server the matching HTTP
/// status (so a missing model is a real 404).
#[component]
pub fn PageError(error: ApiError) -> impl IntoView {
    set_http_status(error.status);
    view! { <ErrorAlert error /> }
}

/// Sets the status of the page being rendered on the server; nothing in the browser.
pub fn set_http_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(status),
    ) && status >= 400
    {
        response.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// The renderer writes a `<textarea>`'s children to the page unescaped (as it does for
/// `<script>`), so text shown in one is escaped here: a model card containing `</textarea>`
/// must not end the element and add its own markup to the page. The browser decodes the
/// entities again, so the form shows and submits the card unchanged.
pub fn textarea_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}
