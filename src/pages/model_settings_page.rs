//! Placeholder while the page is built.

use leptos::prelude::*;

#[component]
pub fn ModelSettingsPage() -> impl IntoView {
    view! { <p>"ModelSettingsPage"</p> }
}
