//! Creating a model (no version yet).

use crate::api::models::{CreateModel, ModelForm};
use crate::components::forms::FormError;
use crate::components::layout::RequireUser;
use crate::components::model_form::{INLINE_FIELDS, ModelFormFields};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
pub fn NewModelPage() -> impl IntoView {
    view! {
        <Title text="New model" />
        <RequireUser>
            <NewModelForm />
        </RequireUser>
    }
}

#[component]
fn NewModelForm() -> impl IntoView {
    let create = ServerAction::<CreateModel>::new();
    let result: Signal<_> = create.value().into();
    view! {
        <h1 class="page-title">"New model"</h1>
        <p class="mb-6 text-sm text-slate-600">
            "A model holds its versions, card and access. Versions are added once it exists."
        </p>
        <FormError result inline_fields=INLINE_FIELDS />
        <ActionForm action=create attr:class="card space-y-4">
            <ModelFormFields initial=ModelForm::default().or_kept(CreateModel::PATH) result />
            <div class="flex gap-3">
                <button type="submit" class="btn-primary">"Create model"</button>
                <a href="/models" class="btn-secondary">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
