//! Placeholder while the page is built.

use leptos::prelude::*;

#[component]
pub fn UploadPage() -> impl IntoView {
    view! { <p>"UploadPage"</p> }
}
