//! The frame every page of one model shares: its name, the actions a role may take (upload a
//! version, compare) and the tab navigation (Overview, Versions, Settings, and for those who may
//! see them, Sharing and Activity); and what a model page shows when its model cannot be read.

use crate::components::forms::{ErrorAlert, PageError, set_http_status};
use crate::components::layout::CurrentUser;
use crate::domain::error::{ApiError, NOT_FOUND_SUFFIX, codes};
use crate::domain::model::{Model, Role};
use crate::domain::text::markdown_to_plain;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelTab {
    Overview,
    Versions,
    Settings,
    Sharing,
    Activity,
    /// A page under the model that is none of the tabs (a version, a comparison).
    None,
}

/// Whether the visitor of this page load is signed in.
pub async fn is_signed_in(user: Option<CurrentUser>) -> bool {
    match user {
        Some(u) => matches!(u.await, Ok(Some(_))),
        None => false,
    }
}

/// What a model page shows when its model (or version) cannot be read. Not found (which is also
/// what a private model looks like to anyone without access) is a 404 page, offering a visitor
/// who is not signed in to sign in; a page that needs a signed-in caller sends them to sign in;
/// anything else is explained with its HTTP status.
///
/// Decided by the error code, not the status: the status stays on the server, and the browser
/// must render the same view when it hydrates.
pub fn load_error_view(error: ApiError, signed_in: bool, title: &'static str) -> AnyView {
    if error.is(codes::NOT_AUTHENTICATED) {
        return view! { <Redirect path="/login" /> }.into_any();
    }
    if error.error_code.ends_with(NOT_FOUND_SUFFIX) {
        set_http_status(404);
        return view! {
            <Title text=title />
            <h1 class="page-title">{title}</h1>
            <ErrorAlert error />
            {(!signed_in)
                .then(|| {
                    view! {
                        <p class="text-slate-700">
                            "If it is shared with you, "
                            <a href="/login" class="link">"sign in"</a>
                            " to see it."
                        </p>
                    }
                })}
            <a href="/models" class="mt-6 inline-block link">"Go to models"</a>
        }
        .into_any();
    }
    view! {
        <Title text=title />
        <PageError error />
    }
    .into_any()
}

#[component]
pub fn ModelHeader(model: Model, tab: ModelTab) -> impl IntoView {
    let name = model.name.clone();
    let can_edit = model.role >= Some(Role::Editor);
    let base = format!("/models/{name}");
    let tab_link = move |href: String, label: &'static str, this: ModelTab| {
        let current = tab == this;
        view! {
            <a
                href=href
                aria-current=current.then_some("page")
                class="-mb-px border-b-2 px-3 py-2 text-sm font-medium"
                class=(["border-indigo-600", "text-indigo-700"], current)
                class=(["border-transparent", "text-slate-600", "hover:text-indigo-700"], !current)
            >
                {label}
            </a>
        }
    };
    view! {
        <div class="mb-6">
            <p class="mb-1 text-sm text-slate-500">
                <a href="/models" class="link">"Models"</a>
                " / "
            </p>
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div class="min-w-0">
                    <h1 class="page-title mb-1 break-all">{name.clone()}</h1>
                    {(!model.description.is_empty())
                        .then(|| view! { <p class="text-slate-700">{markdown_to_plain(&model.description)}</p> })}
                </div>
                <div class="flex flex-wrap gap-2">
                    {can_edit
                        .then(|| {
                            view! {
                                <a href=format!("{base}/upload") class="btn-primary">"Upload version"</a>
                            }
                        })}
                    {(model.version_count >= 2)
                        .then(|| {
                            view! { <a href=format!("{base}/compare") class="btn-secondary">"Compare"</a> }
                        })}
                </div>
            </div>
            <nav aria-label="Model sections" class="mt-4 flex gap-2 border-b border-slate-200">
                {tab_link(base.clone(), "Overview", ModelTab::Overview)}
                {tab_link(format!("{base}/versions"), "Versions", ModelTab::Versions)}
                // Settings (aliases and their history, copying) and grants are for signed-in
                // callers who can see the model; the audit log for its owners. A visitor who is
                // not signed in sees only what they can use.
                {model.role.is_some().then(|| tab_link(format!("{base}/settings"), "Settings", ModelTab::Settings))}
                {model.role.is_some().then(|| tab_link(format!("{base}/sharing"), "Sharing", ModelTab::Sharing))}
                {(model.role >= Some(Role::Owner)).then(|| tab_link(format!("{base}/activity"), "Activity", ModelTab::Activity))}
            </nav>
        </div>
    }
}
