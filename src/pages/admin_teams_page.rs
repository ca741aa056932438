//! Admin console, teams: the list (searchable, paged) and a form to create one. Each team has a
//! page of its own for its members.

use crate::api::admin::{CreateTeam, list_teams};
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::data_table::{Column, DataTable, timestamp};
use crate::components::file_tree::encode_component;
use crate::components::forms::{FieldMessage, FormError, PageError, field_error};
use crate::components::layout::RequireAdmin;
use crate::components::pager::{ListSearch, pager, searched_list_href, use_list_place};
use crate::domain::error::ApiError;
use crate::domain::identity::Team;
use crate::domain::paging::Page;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminTeamsPage() -> impl IntoView {
    // Made outside the admin guard's suspense, so each is made (and fetched) once per page view.
    let (search, offset) = use_list_place();
    let create = ServerAction::<CreateTeam>::new();
    let teams = Resource::new(
        move || (search.get(), offset.get(), create.version().get()),
        |(search, offset, _)| list_teams(search, offset),
    );
    view! {
        <Title text="Teams · Admin" />
        <RequireAdmin>
            <AdminNav current=AdminSection::Teams />
            <Teams search teams create />
        </RequireAdmin>
    }
}

#[component]
fn Teams(
    search: Signal<String>,
    teams: Resource<Result<Page<Team>, ApiError>>,
    create: ServerAction<CreateTeam>,
) -> impl IntoView {
    let result: Signal<_> = create.value().into();
    let created = move || match result.get() {
        Some(Ok(team)) => Some(view! {
            <p role="status" class="notice">
                {format!("Team {} created. ", team.name)}
                <a href=format!("/admin/teams/{}", encode_component(&team.name)) class="link">"Add its members"</a>
            </p>
        }),
        _ => None,
    };
    let searched = search.get_untracked();
    view! {
        <div class="mb-4 flex flex-wrap items-end justify-between gap-4">
            <h1 class="page-title mb-0">"Teams"</h1>
            <ListSearch action="/admin/teams" id="team-search" label="Search teams" placeholder="team name" value=searched />
        </div>
        <section class="card mb-6" aria-labelledby="new-team-heading">
            <h2 id="new-team-heading" class="mb-3 text-lg font-semibold">"Create a team"</h2>
            {created}
            <FormError result inline_fields=&["name", "description"] />
            <ActionForm action=create attr:class="flex flex-wrap items-start gap-4">
                <div>
                    <label for="team-name" class="label">"Team name"</label>
                    <input id="team-name" name="name" class="input" required maxlength="64" autocomplete="off" aria-describedby="team-name-error" />
                    <FieldMessage id="team-name-error" message=field_error(result, "name") />
                </div>
                <div class="grow">
                    <label for="team-description" class="label">"Description"</label>
                    <input id="team-description" name="description" class="input" maxlength="1000" aria-describedby="team-description-error" />
                    <FieldMessage id="team-description-error" message=field_error(result, "description") />
                </div>
                <button type="submit" class="btn-primary mt-6">"Create team"</button>
            </ActionForm>
        </section>
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading teams…"</p> }>
            {move || Suspend::new(async move {
                match teams.await {
                    Ok(page) => view! { <TeamTable page search=search.get_untracked() /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TeamTable(page: Page<Team>, search: String) -> impl IntoView {
    if page.data.is_empty() {
        let message = if !search.is_empty() {
            "No teams match."
        } else if page.total_count == 0 {
            "No teams yet. Teams let you share a model with a group of people at once."
        } else {
            "There are no teams this far into the list."
        };
        return view! { <p class="empty">{message}</p> }.into_any();
    }
    let pages = pager(&page, move |offset| {
        searched_list_href("/admin/teams", &search, offset)
    });
    let columns = vec![
        Column::new("Team", "px-4 py-2 font-medium"),
        Column::new("Description", "px-4 py-2 text-slate-700"),
        Column::new("Members", "px-4 py-2 text-right").right(),
        Column::new("Created", "px-4 py-2 text-slate-600"),
    ];
    let rows = page
        .data
        .iter()
        .map(|t| {
            let href = format!("/admin/teams/{}", encode_component(&t.name));
            vec![
                view! { <a href=href class="link">{t.name.clone()}</a> }.into_any(),
                t.description.clone().into_any(),
                t.member_count.into_any(),
                timestamp(t.created_at, "%Y-%m-%d"),
            ]
        })
        .collect();
    view! {
        <DataTable label="Teams" columns rows />
        {pages}
    }
    .into_any()
}
