//! Placeholder while the page is built.

use leptos::prelude::*;

#[component]
pub fn ComparePage() -> impl IntoView {
    view! { <p>"ComparePage"</p> }
}
