//! A model's versions: the list, paged, with the lifecycle actions a role may take on each.

use crate::api::models::get_model;
use crate::api::versions::{
    DeleteModelVersion, PromoteModelVersion, PublishModelVersion, SetVersionActive,
    list_model_versions,
};
use crate::components::data_table::{Column, DataTable, timestamp};
use crate::components::file_tree::format_bytes;
use crate::components::forms::FormError;
use crate::components::layout::use_current_user;
use crate::components::model_tabs::{ModelHeader, ModelTab, is_signed_in, load_error_view};
use crate::components::pager::{pager, use_list_place};
use crate::components::version_badges::VersionBadges;
use crate::domain::download::last_download_text;
use crate::domain::model::{Model, Role};
use crate::domain::paging::Page;
use crate::domain::version::{Version, VersionState};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// How many versions one page of the list shows.
const PAGE_SIZE: i64 = 50;

/// The actions of this page, shared by every row.
#[derive(Clone, Copy)]
struct VersionActions {
    publish: ServerAction<PublishModelVersion>,
    promote: ServerAction<PromoteModelVersion>,
    set_active: ServerAction<SetVersionActive>,
    delete: ServerAction<DeleteModelVersion>,
}

#[component]
pub fn ModelVersionsPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let (_, offset) = use_list_place();
    let offset = move || offset.get().max(0);
    let actions = VersionActions {
        publish: ServerAction::new(),
        promote: ServerAction::new(),
        set_active: ServerAction::new(),
        delete: ServerAction::new(),
    };
    // Any action may change the primary version, the count or the list: read both again.
    let changes = move || {
        (
            actions.publish.version().get(),
            actions.promote.version().get(),
            actions.set_active.version().get(),
            actions.delete.version().get(),
        )
    };
    let model = Resource::new(move || (name(), changes()), |(name, _)| get_model(name));
    let versions = Resource::new(
        move || (name(), offset(), changes()),
        |(name, offset, _)| list_model_versions(name, offset, PAGE_SIZE),
    );
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading versions…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                match (model.await, versions.await) {
                    (Ok(view), Ok(page)) => {
                        let model = view.model;
                        view! {
                            <Title text=format!("Versions · {}", model.name) />
                            <ModelHeader model=model.clone() tab=ModelTab::Versions />
                            <ActionErrors actions />
                            <VersionTable model page actions />
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
fn ActionErrors(actions: VersionActions) -> impl IntoView {
    view! {
        <FormError result=actions.publish.value().into() />
        <FormError result=actions.promote.value().into() />
        <FormError result=actions.set_active.value().into() />
        <FormError result=actions.delete.value().into() />
    }
}

#[component]
fn VersionTable(model: Model, page: Page<Version>, actions: VersionActions) -> impl IntoView {
    if page.total_count == 0 {
        let can_upload = model.role >= Some(Role::Editor);
        return view! {
            <div class="empty">
                <p>"This model has no versions yet."</p>
                {can_upload.then(|| view! {
                    <a href=format!("/models/{}/upload", model.name) class="link">"Upload the first version"</a>
                })}
            </div>
        }
        .into_any();
    }
    if page.data.is_empty() {
        return view! {
            <div class="empty">
                <p>"There are no versions this far into the list."</p>
                <a href=format!("/models/{}/versions", model.name) class="link">"Go to the first page"</a>
            </div>
        }
        .into_any();
    }
    let only_version = page.total_count == 1;
    let base = format!("/models/{}/versions", model.name);
    let pages = pager(&page, move |offset| {
        if offset == 0 {
            base.clone()
        } else {
            format!("{base}?offset={offset}")
        }
    });
    let versions = page.data;
    // Built afresh whenever the list is read again: after a delete, no row takes over another
    // row's open confirmation.
    let table = move || {
        let columns = vec![
            Column::new("Version", "px-4 py-2 font-medium"),
            Column::new("Status", "px-4 py-2"),
            Column::new("Aliases", "px-4 py-2"),
            Column::new("Author", "px-4 py-2 text-slate-700"),
            Column::new("Created", "px-4 py-2 text-slate-600"),
            Column::new(
                "Size",
                "px-4 py-2 text-right whitespace-nowrap text-slate-600",
            )
            .right(),
            Column::new(
                "Downloads",
                "px-4 py-2 text-right whitespace-nowrap text-slate-600",
            )
            .right(),
            Column::actions("px-4 py-2"),
        ];
        let rows = versions
            .iter()
            .map(|v| version_cells(&model, v.clone(), actions, only_version))
            .collect();
        view! { <DataTable columns rows top_aligned=true /> }
    };
    view! {
        {table}
        {pages}
    }
    .into_any()
}

fn version_cells(
    model: &Model,
    version: Version,
    actions: VersionActions,
    only_version: bool,
) -> Vec<AnyView> {
    let can_edit = model.role >= Some(Role::Editor);
    let is_owner = model.role >= Some(Role::Owner);
    let can_delete = match version.state {
        VersionState::Draft => can_edit,
        VersionState::Published => is_owner,
    };
    let number = version.version.clone();
    let href = format!("/models/{}/versions/{}", model.name, number);
    let labels = |verb: &str| format!("{verb} {number}");
    let (publish_label, promote_label) = (labels("Publish"), labels("Promote"));
    let publish = (can_edit && version.state == VersionState::Draft).then(|| {
        let fields = hidden_fields(&model.name, &number);
        view! {
            <ActionForm action=actions.publish>
                {fields}
                <button type="submit" class="btn-secondary px-3 py-1" aria-label=publish_label>"Publish"</button>
            </ActionForm>
        }
    });
    // Choosing the primary version is the Owner's.
    let promote = (is_owner && version.can_be_primary() && !version.is_primary).then(|| {
        let fields = hidden_fields(&model.name, &number);
        view! {
            <ActionForm action=actions.promote>
                {fields}
                <button type="submit" class="btn-secondary px-3 py-1" aria-label=promote_label>"Promote"</button>
            </ActionForm>
        }
    });
    let usage_id = format!("usage-{number}");
    let toggle = can_edit.then(|| {
        let fields = hidden_fields(&model.name, &number);
        let (label, value) = if version.active {
            ("Deactivate", "false")
        } else {
            ("Reactivate", "true")
        };
        let aria = labels(label);
        // Whoever deactivates a version hears whether it is still in use.
        let described = version.active.then(|| usage_id.clone());
        view! {
            <ActionForm action=actions.set_active>
                {fields}
                <input type="hidden" name="active" value=value />
                <button type="submit" class="btn-secondary px-3 py-1" aria-label=aria aria-describedby=described>{label}</button>
            </ActionForm>
        }
    });
    let delete = can_delete.then(|| {
        let fields = hidden_fields(&model.name, &number);
        let summary = format!("Delete {number}…");
        let confirm = format!("Delete {number} permanently");
        let warning = if only_version {
            format!(
                "{number} is the only version: deleting it also deletes the model {}. This cannot be undone.",
                model.name
            )
        } else {
            format!("Delete version {number} and its files? This cannot be undone.")
        };
        view! {
            // A disclosure, not a dialog: the confirmation works with JavaScript off too.
            <details>
                <summary class="btn-danger cursor-pointer list-none" aria-label=summary>"Delete…"</summary>
                <div class="mt-2 w-64 rounded-md border border-red-200 bg-red-50 p-3 text-left">
                    <p class="mb-2 text-sm text-slate-700">{warning}</p>
                    <ActionForm action=actions.delete>
                        {fields}
                        <button type="submit" class="btn-danger">{confirm}</button>
                    </ActionForm>
                </div>
            </details>
        }
    });
    let aliases = version
        .aliases
        .iter()
        .map(|a| view! { <span class="tag font-mono">{a.clone()}</span> })
        .collect_view();
    let size = view! {
        {format_bytes(version.total_size)}
        <span class="block text-xs text-slate-500">{crate::domain::text::counted(version.file_count, "file", "files")}</span>
    };
    let downloads = view! {
        {crate::domain::text::counted(version.download_count, "download", "downloads")}
        <span id=usage_id class="block text-xs text-slate-500">{last_download_text(version.last_download_at)}</span>
    };
    vec![
        view! { <a href=href class="link font-mono">{number.clone()}</a> }.into_any(),
        view! { <VersionBadges version=version.clone() /> }.into_any(),
        aliases.into_any(),
        version.created_by.clone().into_any(),
        timestamp(version.created_at, "%Y-%m-%d %H:%M"),
        size.into_any(),
        downloads.into_any(),
        view! { <div class="flex flex-wrap justify-end gap-2">{publish}{promote}{toggle}{delete}</div> }
            .into_any(),
    ]
}

fn hidden_fields(model: &str, version: &str) -> impl IntoView + use<> {
    view! {
        <input type="hidden" name="model" value=model.to_owned() />
        <input type="hidden" name="version" value=version.to_owned() />
    }
}
