//! Changing one's own password: the current one, then the new one twice. Every other session of
//! the user ends; this one stays signed in.

use crate::api::identity::ChangeOwnPassword;
use crate::components::forms::{FieldMessage, FormError, field_error};
use crate::components::layout::RequireUser;
use crate::domain::identity::MIN_PASSWORD_CHARS;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn PasswordPage() -> impl IntoView {
    let change = ServerAction::<ChangeOwnPassword>::new();
    view! {
        <Title text="Change password" />
        <RequireUser>
            <PasswordForm change />
        </RequireUser>
    }
}

#[component]
fn PasswordForm(change: ServerAction<ChangeOwnPassword>) -> impl IntoView {
    let query = use_query_map();
    let changed = move || query.with(|q| q.get("changed").is_some());
    let result: Signal<_> = change.value().into();
    let min = MIN_PASSWORD_CHARS.to_string();
    view! {
        <section class="mx-auto max-w-md">
            <h1 class="page-title">"Change password"</h1>
            {move || changed().then(|| view! {
                <p role="status" class="notice">"Password changed. Your other sessions were signed out."</p>
            })}
            <FormError result inline_fields=&["current_password", "new_password", "confirm_password"] />
            <ActionForm action=change attr:class="card space-y-4">
                <div>
                    <label for="current-password" class="label">"Current password"</label>
                    <input id="current-password" name="current_password" type="password" class="input" required autocomplete="current-password" aria-describedby="current-password-error" />
                    <FieldMessage id="current-password-error" message=field_error(result, "current_password") />
                </div>
                <div>
                    <label for="new-password" class="label">"New password"</label>
                    <input id="new-password" name="new_password" type="password" class="input" required minlength=min.clone() autocomplete="new-password" aria-describedby="new-password-help new-password-error" />
                    <p id="new-password-help" class="mt-1 text-xs text-slate-500">{format!("At least {MIN_PASSWORD_CHARS} characters.")}</p>
                    <FieldMessage id="new-password-error" message=field_error(result, "new_password") />
                </div>
                <div>
                    <label for="confirm-password" class="label">"Confirm new password"</label>
                    <input id="confirm-password" name="confirm_password" type="password" class="input" required minlength=min autocomplete="new-password" aria-describedby="confirm-password-error" />
                    <FieldMessage id="confirm-password-error" message=field_error(result, "confirm_password") />
                </div>
                <button type="submit" class="btn-primary w-full">"Change password"</button>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600">
                "Scripts sign in with "
                <a href="/settings/tokens" class="link">"API tokens"</a>
                " instead; changing your password does not revoke them."
            </p>
        </section>
    }
}
