//! Signing in. A plain form, so it works the same with or without JavaScript and ends in a full
//! page load with the new session.

use crate::api::identity::Login;
use crate::components::forms::FormError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    // Picks up the error of a failed attempt from the address the browser was sent back to.
    let attempt = ServerAction::<Login>::new();
    let query = use_query_map();
    let setup_done = move || query.with(|q| q.get("setup").as_deref() == Some("done"));
    let demo_loading = move || query.with(|q| q.get("demo").as_deref() == Some("loading"));
    view! {
        <Title text="Sign in" />
        <section class="mx-auto max-w-sm">
            <h1 class="page-title">"Sign in"</h1>
            {move || {
                setup_done()
                    .then(|| {
                        view! {
                            <p role="status" class="notice">
                                "Admin created. Sign in."
                                {demo_loading().then_some(" The demo models are loading: they appear under Models within a minute.")}
                            </p>
                        }
                    })
            }}
            <FormError result=attempt.value().into() />
            <form method="post" action=Login::PATH class="card space-y-4">
                <div>
                    <label for="username" class="label">"Username"</label>
                    <input id="username" name="username" class="input" autocomplete="username" required />
                </div>
                <div>
                    <label for="password" class="label">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        class="input"
                        autocomplete="current-password"
                        required
                    />
                </div>
                <button type="submit" class="btn-primary w-full">"Sign in"</button>
            </form>
        </section>
    }
}
