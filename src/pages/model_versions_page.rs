//! Placeholder while the page is built.

use leptos::prelude::*;

#[component]
pub fn ModelVersionsPage() -> impl IntoView {
    view! { <p>"ModelVersionsPage"</p> }
}
