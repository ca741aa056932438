//! Who has access to a model: its grants to users and teams, and for those who may share it,
//! forms to grant a role, change one and remove one. Each form sends one change, so every form
//! works without JavaScript; with it, names are suggested as they are typed.

use crate::api::access::{
    ChangeModelGrant, RemoveModelGrant, ShareModel, SharingView, get_model_sharing,
    search_principals,
};
use crate::api::models::get_model;
use crate::components::data_table::{Column, DataTable, TableStyle};
use crate::components::forms::{FieldMessage, FormError, field_error};
use crate::components::layout::use_current_user;
use crate::components::model_tabs::{ModelHeader, ModelTab, is_signed_in, load_error_view};
use crate::domain::access::{AccessEntry, PrincipalType};
use crate::domain::model::{Model, Role, Visibility};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

const ROLES: [Role; 3] = [Role::Viewer, Role::Editor, Role::Owner];

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Viewer => "Viewer",
        Role::Editor => "Editor",
        Role::Owner => "Owner",
    }
}

#[derive(Clone, Copy)]
struct SharingActions {
    share: ServerAction<ShareModel>,
    change: ServerAction<ChangeModelGrant>,
    remove: ServerAction<RemoveModelGrant>,
}

#[component]
pub fn ModelSharingPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let actions = SharingActions {
        share: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let changes = move || {
        (
            actions.share.version().get(),
            actions.change.version().get(),
            actions.remove.version().get(),
        )
    };
    // The caller's own role may change with the grants: read the model again too.
    let model = Resource::new(move || (name(), changes()), |(name, _)| get_model(name));
    let sharing = Resource::new(
        move || (name(), changes()),
        |(name, _)| get_model_sharing(name),
    );
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading sharing…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                let model = match model.await {
                    Ok(view) => view.model,
                    Err(error) => return load_error_view(error, signed_in, "Model not found"),
                };
                match sharing.await {
                    Ok(sharing) => {
                        view! {
                            <Title text=format!("Sharing · {}", model.name) />
                            <ModelHeader model=model.clone() tab=ModelTab::Sharing />
                            <Grants model=model.clone() sharing=sharing.clone() actions />
                            <ShareForm model sharing actions />
                        }
                            .into_any()
                    }
                    Err(error) => load_error_view(error, signed_in, "Model not found"),
                }
            })}
        </Transition>
    }
}

#[component]
fn Grants(model: Model, sharing: SharingView, actions: SharingActions) -> impl IntoView {
    let intro = if sharing.may_share() {
        "Owners may do everything, including sharing; editors upload, publish and manage aliases; viewers see the model and download its versions."
    } else {
        "You can see who has access. Owners, admins and people allowed to share can change it."
    };
    let visibility = match model.visibility {
        Visibility::Private => {
            "The model is private: only these users and teams (and admins) can see it."
        }
        Visibility::Internal => {
            "The model is internal: every signed-in user can view it, and these grants give more."
        }
        Visibility::Public => {
            "The model is public: anyone, even without signing in, can view it, and these grants give more."
        }
    };
    let columns = vec![
        Column::new("User or team", "py-2 pr-4"),
        Column::new("Role", "py-2 pr-4"),
        Column::actions("py-2 text-right"),
    ];
    let rows = sharing
        .entries
        .iter()
        .map(|entry| {
            let editable = sharing.may_change(entry.role);
            grant_cells(
                &model.name,
                entry.clone(),
                editable,
                sharing.max_grant,
                actions,
            )
        })
        .collect();
    view! {
        <section class="card mb-6" aria-labelledby="grants-heading">
            <h2 id="grants-heading" class="mb-1 text-lg font-semibold">"Who has access"</h2>
            <p class="mb-1 text-sm text-slate-600">{intro}</p>
            <p class="mb-4 text-sm text-slate-600">{visibility}</p>
            <FormError result=actions.change.value().into() />
            <FormError result=actions.remove.value().into() />
            <DataTable style=TableStyle::Plain label="Grants" columns rows />
        </section>
    }
}

fn grant_cells(
    model: &str,
    entry: AccessEntry,
    editable: bool,
    max_grant: Option<Role>,
    actions: SharingActions,
) -> Vec<AnyView> {
    let kind = entry.principal_type.as_str();
    let who = match entry.principal_type {
        PrincipalType::User => {
            let shown = if entry.display_name.is_empty() || entry.display_name == entry.name {
                entry.name.clone()
            } else {
                format!("{} ({})", entry.display_name, entry.name)
            };
            view! { <span class="font-medium">{shown}</span> }.into_any()
        }
        PrincipalType::Team => view! {
            <span class="font-medium">{entry.name.clone()}</span>
            " "
            <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700">"team"</span>
        }
        .into_any(),
    };
    let subject = match entry.principal_type {
        PrincipalType::User => entry.name.clone(),
        PrincipalType::Team => format!("team {}", entry.name),
    };
    let (change_model, change_name) = (model.to_owned(), entry.name.clone());
    let (remove_model, remove_name) = (model.to_owned(), entry.name.clone());
    let role_label_aria = format!("Role of {subject}");
    let save_aria = format!("Save access of {subject}");
    let remove_aria = format!("Remove {subject}");
    let role_cell = if editable {
        let choices: Vec<Role> = ROLES
            .into_iter()
            .filter(|r| max_grant.is_some_and(|max| *r <= max))
            .collect();
        view! {
            <ActionForm action=actions.change attr:class="flex flex-wrap items-center gap-3">
                <input type="hidden" name="model" value=change_model />
                <input type="hidden" name="principal_type" value=kind />
                <input type="hidden" name="name" value=change_name />
                <select name="role" class="input w-auto py-1" aria-label=role_label_aria>
                    {choices
                        .into_iter()
                        .map(|r| view! { <option value=r.as_str() selected=r == entry.role>{role_label(r)}</option> })
                        .collect_view()}
                </select>
                <label class="flex items-center gap-1 text-sm">
                    <input type="checkbox" name="can_share" class="h-4 w-4" checked=entry.can_share />
                    "Can share"
                </label>
                <button type="submit" class="btn-secondary px-3 py-1" aria-label=save_aria>
                    "Save"
                </button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <span>{role_label(entry.role)}</span>
            {entry.can_share.then(|| view! { <span class="ml-2 text-xs text-slate-500">"can share"</span> })}
        }
        .into_any()
    };
    let remove = editable.then(|| {
        view! {
            <ActionForm action=actions.remove>
                <input type="hidden" name="model" value=remove_model />
                <input type="hidden" name="principal_type" value=kind />
                <input type="hidden" name="name" value=remove_name />
                <button type="submit" class="btn-danger" aria-label=remove_aria>"Remove"</button>
            </ActionForm>
        }
    });
    vec![who, role_cell, remove.into_any()]
}

#[component]
fn ShareForm(model: Model, sharing: SharingView, actions: SharingActions) -> impl IntoView {
    let Some(max_grant) = sharing.max_grant else {
        return ().into_any();
    };
    let result: Signal<_> = actions.share.value().into();
    let choices: Vec<Role> = ROLES.into_iter().filter(|r| *r <= max_grant).collect();
    view! {
        <section class="card mb-6" aria-labelledby="share-heading">
            <h2 id="share-heading" class="mb-3 text-lg font-semibold">"Share"</h2>
            <FormError result inline_fields=&["name", "role"] />
            <ActionForm action=actions.share attr:class="flex flex-wrap items-start gap-4">
                <input type="hidden" name="model" value=model.name.clone() />
                <PrincipalPicker name_error=field_error(result, "name").get_untracked() />
                <div>
                    <label for="share-role" class="label">"Role"</label>
                    <select id="share-role" name="role" class="input" aria-describedby="share-role-error">
                        {choices
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str() selected=r == Role::Viewer>{role_label(r)}</option> })
                            .collect_view()}
                    </select>
                    <FieldMessage id="share-role-error" message=field_error(result, "role") />
                </div>
                <div class="mt-7 flex items-center gap-2">
                    <input id="share-can-share" name="can_share" type="checkbox" class="h-4 w-4" />
                    <label for="share-can-share" class="text-sm">"Can share"</label>
                </div>
                <button type="submit" class="btn-primary mt-6">"Share"</button>
            </ActionForm>
            <p class="mt-2 text-xs text-slate-500">
                "Sharing again with someone who already has access changes their role. You can grant at most your own role."
            </p>
        </section>
    }
    .into_any()
}

/// Whom to share with: a user or a team, by exact name, with suggestions as the name is typed
/// (an island; without JavaScript the exact name is typed and the type picked).
#[cfg_attr(any(feature = "ssr", feature = "bundle-main"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "bundle-main")), component)]
fn PrincipalPicker(name_error: Option<String>) -> impl IntoView {
    crate::components::island_scripts::note_island(crate::components::island_scripts::Bundle::Main);
    let name_error = RwSignal::new(name_error);
    // Suggestions as the name is typed (JavaScript only); without it, the exact name is typed.
    let kind = RwSignal::new("user".to_owned());
    let suggest = Action::new(|query: &String| {
        let query = query.trim().to_owned();
        async move {
            if query.is_empty() {
                Ok(Vec::new())
            } else {
                search_principals(query).await
            }
        }
    });
    let suggestions = move || match suggest.value().get() {
        Some(Ok(found)) => found,
        _ => Vec::new(),
    };
    let on_name_input = move |ev| {
        let typed = event_target_value(&ev);
        // Picking a suggestion fills in the exact name: take its type along.
        let picked: Vec<PrincipalType> = suggestions()
            .iter()
            .filter(|m| m.name == typed)
            .map(|m| m.principal_type)
            .collect();
        if let [only] = picked.as_slice() {
            kind.set(only.as_str().to_owned());
        }
        suggest.dispatch(typed);
    };
    view! {
        <div>
            <label for="share-type" class="label">"Share with"</label>
            <select
                id="share-type"
                name="principal_type"
                class="input"
                prop:value=move || kind.get()
                on:change=move |ev| kind.set(event_target_value(&ev))
            >
                <option value="user" selected=true>"User"</option>
                <option value="team">"Team"</option>
            </select>
        </div>
        <div class="grow">
            <label for="share-name" class="label">"User or team name"</label>
            <input
                id="share-name"
                name="name"
                class="input"
                required
                maxlength="64"
                autocomplete="off"
                list="principal-suggestions"
                placeholder="exact username or team name"
                aria-describedby="share-name-error"
                on:input=on_name_input
            />
            <datalist id="principal-suggestions">
                {move || {
                    suggestions()
                        .into_iter()
                        .map(|m| {
                            let label = match m.principal_type {
                                PrincipalType::User => format!("{} · user", m.display_name),
                                PrincipalType::Team => "team".to_owned(),
                            };
                            view! { <option value=m.name label=label></option> }
                        })
                        .collect_view()
                }}
            </datalist>
            <FieldMessage id="share-name-error" message=name_error.into() />
        </div>
    }
}
