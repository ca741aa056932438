//! The first admin, created from the one-time link printed in the log of a new installation.

use crate::api::identity::{CompleteSetup, setup_link_status};
use crate::components::forms::{ErrorAlert, FieldMessage, FormError, field_error};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let status = Resource::new(token, setup_link_status);
    let attempt = ServerAction::<CompleteSetup>::new();
    let result: Signal<_> = attempt.value().into();
    view! {
        <Title text="Create the first admin" />
        <section class="mx-auto max-w-sm">
            <h1 class="page-title">"Create the first admin"</h1>
            <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(true) => {
                            view! {
                                <p class="mb-4 text-sm text-slate-600">
                                    "This account can manage users, tokens and every model."
                                </p>
                                <FormError
                                    result
                                    inline_fields=&["username", "password", "confirm_password"]
                                />
                                <form method="post" action=CompleteSetup::PATH class="card space-y-4">
                                    <input type="hidden" name="token" value=token() />
                                    <div>
                                        <label for="username" class="label">"Username"</label>
                                        <input id="username" name="username" class="input" autocomplete="username" aria-describedby="username-error" required />
                                        <FieldMessage id="username-error" message=field_error(result, "username") />
                                    </div>
                                    <div>
                                        <label for="display_name" class="label">"Display name"</label>
                                        <input id="display_name" name="display_name" class="input" autocomplete="name" />
                                    </div>
                                    <div>
                                        <label for="password" class="label">"Password"</label>
                                        <input id="password" name="password" type="password" class="input" autocomplete="new-password" aria-describedby="password-error" required minlength="8" />
                                        <FieldMessage id="password-error" message=field_error(result, "password") />
                                    </div>
                                    <div>
                                        <label for="confirm_password" class="label">"Confirm password"</label>
                                        <input id="confirm_password" name="confirm_password" type="password" class="input" autocomplete="new-password" aria-describedby="confirm-error" required minlength="8" />
                                        <FieldMessage id="confirm-error" message=field_error(result, "confirm_password") />
                                    </div>
                                    <label class="flex items-start gap-2 text-sm">
                                        <input type="checkbox" name="load_demo" value="on" class="mt-1" aria-describedby="demo-help" />
                                        <span>
                                            "Load the demo models"
                                            <span id="demo-help" class="block text-xs text-slate-500">
                                                "Two scikit-learn models with versions, metrics, aliases, training data and feature impact, to look around with. Delete them any time."
                                            </span>
                                        </span>
                                    </label>
                                    <button type="submit" class="btn-primary w-full">"Create admin"</button>
                                </form>
                            }
                                .into_any()
                        }
                        Ok(false) => {
                            view! {
                                <div role="alert" class="notice-error">
                                    <p class="font-medium">"This setup link is not valid."</p>
                                    <p class="mt-1">
                                        "It was already used, or an admin already exists. "
                                        <a href="/login" class="link">"Sign in"</a>
                                        " instead."
                                    </p>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorAlert error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
