//! Admin console, one team: its members (add, remove) and deleting the team.

use crate::api::admin::{AddTeamMember, DeleteTeam, RemoveTeamMember, get_team};
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::data_table::{Column, DataTable, TableStyle};
use crate::components::forms::{FieldMessage, FormError, PageError, field_error};
use crate::components::layout::RequireAdmin;
use crate::domain::error::ApiError;
use crate::domain::identity::Team;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct TeamActions {
    add: ServerAction<AddTeamMember>,
    remove: ServerAction<RemoveTeamMember>,
    delete: ServerAction<DeleteTeam>,
}

#[component]
pub fn AdminTeamPage() -> impl IntoView {
    // Made outside the admin guard's suspense, so each is made (and fetched) once per page view.
    let params = use_params_map();
    let name = move || params.with(|p| p.get("team").unwrap_or_default());
    let actions = TeamActions {
        add: ServerAction::new(),
        remove: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let team = Resource::new(
        move || {
            (
                name(),
                actions.add.version().get(),
                actions.remove.version().get(),
            )
        },
        |(name, _, _)| get_team(name),
    );
    view! {
        <RequireAdmin>
            <AdminNav current=AdminSection::Teams />
            <TeamDetails team actions />
        </RequireAdmin>
    }
}

#[component]
fn TeamDetails(team: Resource<Result<Team, ApiError>>, actions: TeamActions) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading team…"</p> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(team) => view! { <TeamView team actions /> }.into_any(),
                    Err(error) => {
                        view! {
                            <Title text="Team not found" />
                            <p class="mb-4"><a href="/admin/teams" class="link">"All teams"</a></p>
                            <PageError error />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn TeamView(team: Team, actions: TeamActions) -> impl IntoView {
    let added: Signal<_> = actions.add.value().into();
    let member_rows: Vec<Vec<AnyView>> = team
        .members
        .iter()
        .map(|m| {
            let (team_name, username) = (team.name.clone(), m.username.clone());
            let label = format!("Remove {} from the team", m.username);
            let remove = view! {
                <ActionForm action=actions.remove>
                    <input type="hidden" name="team" value=team_name />
                    <input type="hidden" name="username" value=username />
                    <button type="submit" class="btn-danger" aria-label=label>"Remove"</button>
                </ActionForm>
            };
            vec![
                m.username.clone().into_any(),
                m.display_name.clone().into_any(),
                remove.into_any(),
            ]
        })
        .collect();
    let member_columns = vec![
        Column::new("Username", "py-2 pr-4 font-mono"),
        Column::new("Display name", "py-2 pr-4"),
        Column::actions("py-2 text-right"),
    ];
    let no_members =
        view! { <p class="mb-4 text-sm text-slate-600">"This team has no members yet."</p> };
    let (add_team, delete_team) = (team.name.clone(), team.name.clone());
    let delete_label = format!("Delete {} permanently", team.name);
    let delete_warning = format!(
        "This deletes team {} and every grant it holds on models; its members keep their own access. This cannot be undone.",
        team.name
    );
    view! {
        <Title text=format!("{} · Teams · Admin", team.name) />
        <p class="mb-1 text-sm text-slate-500">
            <a href="/admin/teams" class="link">"Teams"</a>
            " / "
        </p>
        <h1 class="page-title mb-1">{format!("Team {}", team.name)}</h1>
        {(!team.description.is_empty()).then(|| view! { <p class="mb-4 text-slate-700">{team.description.clone()}</p> })}
        <section class="card my-6" aria-labelledby="members-heading">
            <h2 id="members-heading" class="mb-3 text-lg font-semibold">
                {format!("Members ({})", team.member_count)}
            </h2>
            <FormError result=actions.remove.value().into() />
            <DataTable
                style=TableStyle::Plain
                label="Members"
                columns=member_columns
                rows=member_rows
                empty=no_members.into_any()
                class="mb-4"
            />
            <FormError result=added inline_fields=&["username"] />
            <ActionForm action=actions.add attr:class="flex flex-wrap items-start gap-4">
                <input type="hidden" name="team" value=add_team />
                <div>
                    <label for="member-username" class="label">"Username"</label>
                    <input id="member-username" name="username" class="input" required maxlength="64" autocomplete="off" aria-describedby="member-username-error" />
                    <FieldMessage id="member-username-error" message=field_error(added, "username") />
                </div>
                <button type="submit" class="btn-primary mt-6">"Add member"</button>
            </ActionForm>
        </section>
        <section class="rounded-lg border border-red-200 bg-white p-6" aria-labelledby="delete-team-heading">
            <h2 id="delete-team-heading" class="mb-2 text-lg font-semibold text-red-800">"Delete team"</h2>
            <FormError result=actions.delete.value().into() />
            <details>
                <summary class="btn-danger cursor-pointer list-none">"Delete this team…"</summary>
                <div class="mt-3">
                    <p class="mb-3 text-sm text-slate-700">
                        {delete_warning}
                    </p>
                    <ActionForm action=actions.delete>
                        <input type="hidden" name="name" value=delete_team />
                        <button type="submit" class="btn-danger">{delete_label}</button>
                    </ActionForm>
                </div>
            </details>
        </section>
    }
}
