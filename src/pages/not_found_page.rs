//! What any unknown address shows, with a 404 status.

use crate::components::forms::set_http_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_http_status(404);
    view! {
        <Title text="Page not found" />
        <section class="py-16 text-center">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="mt-2 text-slate-600">"There is nothing at this address."</p>
            <a href="/models" class="mt-6 inline-block link">"Go to models"</a>
        </section>
    }
}
