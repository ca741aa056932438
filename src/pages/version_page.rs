//! Placeholder while the page is built.

use leptos::prelude::*;

#[component]
pub fn VersionPage() -> impl IntoView {
    view! { <p>"VersionPage"</p> }
}
