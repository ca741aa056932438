//! A model's settings: its details, aliases (with their history), copying it and deleting it.

use crate::api::models::get_model;
use crate::api::versions::{
    CopyModel, DeleteModel, DeleteModelAlias, SetModelAlias, list_model_versions,
    model_alias_history,
};
use crate::components::data_table::{Column, DataTable, TableStyle, timestamp};
use crate::components::forms::{FieldMessage, FormError, field_error, kept_input};
use crate::components::layout::use_current_user;
use crate::components::model_tabs::{ModelHeader, ModelTab, is_signed_in, load_error_view};
use crate::domain::model::{Model, Role};
use crate::domain::paging::MAX_LIMIT;
use crate::domain::version::Version;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[derive(Clone, Copy)]
struct SettingsActions {
    set_alias: ServerAction<SetModelAlias>,
    delete_alias: ServerAction<DeleteModelAlias>,
    copy: ServerAction<CopyModel>,
    delete_model: ServerAction<DeleteModel>,
}

#[component]
pub fn ModelSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let history_of = move || query.with(|q| q.get("history").filter(|h| !h.is_empty()));
    let actions = SettingsActions {
        set_alias: ServerAction::new(),
        delete_alias: ServerAction::new(),
        copy: ServerAction::new(),
        delete_model: ServerAction::new(),
    };
    let alias_changes = move || {
        (
            actions.set_alias.version().get(),
            actions.delete_alias.version().get(),
        )
    };
    let model = Resource::new(
        move || (name(), alias_changes()),
        |(name, _)| get_model(name),
    );
    let versions = Resource::new(name, |name| list_model_versions(name, 0, MAX_LIMIT));
    let history = Resource::new(
        move || (name(), history_of(), alias_changes()),
        |(name, alias, _)| async move {
            match alias {
                Some(alias) => model_alias_history(name, alias.clone())
                    .await
                    .map(|page| Some((alias, page.data))),
                None => Ok(None),
            }
        },
    );
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading settings…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                match (model.await, versions.await) {
                    // Nothing here is for a visitor who is not signed in; a model they cannot
                    // see stays not found.
                    (Ok(_), Ok(_)) if !signed_in => {
                        view! { <leptos_router::components::Redirect path="/login" /> }.into_any()
                    }
                    (Ok(view), Ok(versions)) => {
                        let model = view.model;
                        view! {
                            <Title text=format!("Settings · {}", model.name) />
                            <ModelHeader model=model.clone() tab=ModelTab::Settings />
                            <Details model=model.clone() />
                            <AliasSection model=model.clone() versions=versions.data actions />
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    match history.await {
                                        Ok(Some((alias, moves))) => view! { <AliasHistory alias moves /> }.into_any(),
                                        Ok(None) => ().into_any(),
                                        Err(error) => view! { <crate::components::forms::ErrorAlert error /> }.into_any(),
                                    }
                                })}
                            </Transition>
                            <CopySection model=model.clone() actions />
                            <DeleteSection model actions />
                        }
                            .into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => {
                        load_error_view(error, signed_in, "Model not found")
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Details(model: Model) -> impl IntoView {
    let can_edit = model.role >= Some(Role::Editor);
    view! {
        <section class="card mb-6" aria-labelledby="details-heading">
            <h2 id="details-heading" class="mb-2 text-lg font-semibold">"Model details"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "Name, description, target, tags, visibility and the model card. Changing them never touches a version."
            </p>
            {if can_edit {
                view! { <a href=format!("/models/{}/edit", model.name) class="btn-secondary">"Edit model details"</a> }.into_any()
            } else {
                view! { <p class="text-sm text-slate-500">"Editors and owners can change these."</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn AliasSection(model: Model, versions: Vec<Version>, actions: SettingsActions) -> impl IntoView {
    let can_edit = model.role >= Some(Role::Editor);
    let is_owner = model.role >= Some(Role::Owner);
    let set_result: Signal<_> = actions.set_alias.value().into();
    let base = format!("/models/{}/settings", model.name);
    let columns = vec![
        Column::new("Alias", "py-2 pr-4 font-mono font-medium"),
        Column::new("Version", "py-2 pr-4"),
        Column::new("Protection", "py-2 pr-4").hidden(),
        Column::actions("py-2"),
    ];
    let rows: Vec<Vec<AnyView>> = model
        .aliases
        .iter()
        .map(|a| {
            let may_remove = can_edit && (!a.protected || is_owner);
            let history = format!("{base}?history={}#alias-history", crate::components::file_tree::encode_component(&a.alias));
            let remove_label = format!("Remove alias {}", a.alias);
            let (m, alias) = (model.name.clone(), a.alias.clone());
            let version = format!("/models/{}/versions/{}", model.name, a.version);
            let protection = a.protected.then(|| view! {
                <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs text-amber-900">"protected"</span>
            });
            let actions = view! {
                <div class="flex justify-end gap-3">
                    <a href=history class="link" aria-label=format!("History of {}", a.alias)>"History"</a>
                    {may_remove.then(|| view! {
                        <ActionForm action=actions.delete_alias>
                            <input type="hidden" name="model" value=m />
                            <input type="hidden" name="alias" value=alias />
                            <button type="submit" class="btn-danger" aria-label=remove_label>"Remove"</button>
                        </ActionForm>
                    })}
                </div>
            };
            vec![
                a.alias.clone().into_any(),
                view! { <a href=version class="link">{a.version.clone()}</a> }.into_any(),
                protection.into_any(),
                actions.into_any(),
            ]
        })
        .collect();
    let no_aliases = view! { <p class="text-sm text-slate-600">"No aliases yet."</p> };
    let list = view! {
        <DataTable style=TableStyle::Plain columns rows empty=no_aliases.into_any() class="mb-4" />
    };
    let form = can_edit.then(|| {
        if versions.is_empty() {
            return view! { <p class="text-sm text-slate-600">"Upload a version before naming one with an alias."</p> }.into_any();
        }
        view! {
            <FormError result=set_result inline_fields=&["alias"] />
            <ActionForm action=actions.set_alias attr:class="flex flex-wrap items-end gap-4">
                <input type="hidden" name="model" value=model.name.clone() />
                <div>
                    <label for="alias-name" class="label">"Alias"</label>
                    <input id="alias-name" name="alias" class="input" required maxlength="64" placeholder="e.g. production" aria-describedby="alias-name-error" value=kept_input(SetModelAlias::PATH, "alias") />
                    <FieldMessage id="alias-name-error" message=field_error(set_result, "alias") />
                </div>
                <div>
                    <label for="alias-version" class="label">"Version"</label>
                    <select id="alias-version" name="version" class="input">
                        {versions
                            .iter()
                            .map(|v| {
                                let label = if v.is_primary { format!("{} (primary)", v.version) } else { v.version.clone() };
                                view! { <option value=v.version.clone()>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                    <p class="mt-1 text-sm">" "</p>
                </div>
                {is_owner.then(|| view! {
                    <div class="mb-6 flex items-center gap-2">
                        <input id="alias-protected" name="protected" type="checkbox" class="h-4 w-4" />
                        <label for="alias-protected" class="text-sm">"Protected"</label>
                    </div>
                })}
                <button type="submit" class="btn-primary mb-6">"Set alias"</button>
            </ActionForm>
            <p class="text-xs text-slate-500">
                "Setting an existing alias moves it to the chosen version. Only owners may protect an alias or move a protected one."
            </p>
        }
        .into_any()
    });
    view! {
        <section id="aliases" class="card mb-6" aria-labelledby="aliases-heading">
            <h2 id="aliases-heading" class="mb-3 text-lg font-semibold">"Aliases"</h2>
            <FormError result=actions.delete_alias.value().into() />
            {list}
            {form}
        </section>
    }
}

#[component]
fn AliasHistory(alias: String, moves: Vec<crate::domain::version::AliasMove>) -> impl IntoView {
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
    let columns = vec![
        Column::new("When", "py-1 pr-4"),
        Column::new("Who", "py-1 pr-4"),
        Column::new("From", "py-1 pr-4 font-mono"),
        Column::new("To", "py-1 pr-4 font-mono"),
        Column::new("Protected", "py-1"),
    ];
    let rows = moves
        .into_iter()
        .map(|m| {
            vec![
                timestamp(m.moved_at, "%Y-%m-%d %H:%M:%S"),
                m.actor.unwrap_or_else(|| "unknown".to_owned()).into_any(),
                or_none(m.from_version).into_any(),
                or_none(m.to_version).into_any(),
                if m.protected { "yes" } else { "no" }.into_any(),
            ]
        })
        .collect();
    let never = view! { <p class="text-sm text-slate-600">"This alias has never been set."</p> };
    view! {
        <section id="alias-history" class="card mb-6" aria-labelledby="alias-history-heading">
            <h2 id="alias-history-heading" class="mb-3 text-lg font-semibold">{format!("History of {alias}")}</h2>
            <DataTable style=TableStyle::Plain columns rows empty=never.into_any() />
        </section>
    }
}

#[component]
fn CopySection(model: Model, actions: SettingsActions) -> impl IntoView {
    if model.role < Some(Role::Editor) {
        return ().into_any();
    }
    let result: Signal<_> = actions.copy.value().into();
    view! {
        <section class="card mb-6" aria-labelledby="copy-heading">
            <h2 id="copy-heading" class="mb-2 text-lg font-semibold">"Copy model"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "A new model with the same details and versions. Files are shared, not duplicated; you own the copy."
            </p>
            <FormError result inline_fields=&["name"] />
            <ActionForm action=actions.copy attr:class="flex flex-wrap items-end gap-4">
                <input type="hidden" name="model" value=model.name.clone() />
                <div class="grow">
                    <label for="copy-name" class="label">"New model name"</label>
                    <input id="copy-name" name="name" class="input" required maxlength="100" value=kept_input(CopyModel::PATH, "name").unwrap_or_else(|| format!("{}-copy", model.name)) aria-describedby="copy-name-error" />
                    <FieldMessage id="copy-name-error" message=field_error(result, "name") />
                </div>
                <button type="submit" class="btn-secondary mb-6">"Copy model"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn DeleteSection(model: Model, actions: SettingsActions) -> impl IntoView {
    if model.role < Some(Role::Owner) {
        return ().into_any();
    }
    let versions = match model.version_count {
        0 => "no versions".to_owned(),
        1 => "its only version".to_owned(),
        n => format!("all {n} versions"),
    };
    view! {
        <section class="rounded-lg border border-red-200 bg-white p-6" aria-labelledby="delete-heading">
            <h2 id="delete-heading" class="mb-2 text-lg font-semibold text-red-800">"Delete model"</h2>
            <FormError result=actions.delete_model.value().into() />
            <details>
                <summary class="btn-danger cursor-pointer list-none">"Delete this model…"</summary>
                <div class="mt-3">
                    <p class="mb-3 text-sm text-slate-700">
                        {format!("This deletes {} with {versions}, their files and aliases. This cannot be undone.", model.name)}
                    </p>
                    <ActionForm action=actions.delete_model>
                        <input type="hidden" name="model" value=model.name.clone() />
                        <button type="submit" class="btn-danger">{format!("Delete {} permanently", model.name)}</button>
                    </ActionForm>
                </div>
            </details>
        </section>
    }
    .into_any()
}
