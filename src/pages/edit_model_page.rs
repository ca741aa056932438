//! Editing a model's own fields (never its versions): for editors and owners; only owners
//! change the visibility.

use crate::api::models::{ModelForm, ModelView, UpdateModel, get_model};
use crate::components::forms::{FormError, PageError};
use crate::components::layout::RequireUser;
use crate::components::model_form::{INLINE_FIELDS, ModelFormFields};
use crate::domain::error::ApiError;
use crate::domain::model::Role;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EditModelPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let model = Resource::new(name, get_model);
    view! {
        <RequireUser>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match model.await {
                        Ok(view) if view.model.role >= Some(Role::Editor) => {
                            view! { <EditForm view /> }.into_any()
                        }
                        Ok(view) => {
                            let error = ApiError::forbidden("change this model");
                            view! {
                                <Title text=format!("Edit {}", view.model.name) />
                                <PageError error />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireUser>
    }
}

#[component]
fn EditForm(view: ModelView) -> impl IntoView {
    let update = ServerAction::<UpdateModel>::new();
    let result: Signal<_> = update.value().into();
    let m = view.model;
    let initial = ModelForm {
        name: m.name.clone(),
        description: m.description.clone(),
        target_type: m
            .target_type
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        target_name: m.target_name.clone(),
        tags: m.tags.join(", "),
        class_labels: m.class_labels.join("\n"),
        visibility: m.visibility.as_str().to_owned(),
        readme: m.readme.clone(),
    }
    .or_kept(UpdateModel::PATH);
    let title = format!("Edit {}", m.name);
    let visibility_locked = m.role < Some(Role::Owner);
    view! {
        <Title text=title.clone() />
        <h1 class="page-title break-all">{title}</h1>
        <FormError result inline_fields=INLINE_FIELDS />
        <ActionForm action=update attr:class="card space-y-4">
            <input type="hidden" name="key" value=m.id.clone() />
            <ModelFormFields initial result visibility_locked />
            <div class="flex gap-3">
                <button type="submit" class="btn-primary">"Save changes"</button>
                <a href=format!("/models/{}", m.name) class="btn-secondary">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
