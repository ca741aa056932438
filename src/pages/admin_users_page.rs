//! Admin console, users: search, create, deactivate and reactivate, reset a password, make or
//! stop being an admin. The search and the page are in the address.

use crate::api::admin::{CreateUser, ResetUserPassword, SetUserActive, SetUserAdmin, list_users};
use crate::components::admin_nav::{AdminNav, AdminSection};
use crate::components::data_table::{Column, DataTable, timestamp};
use crate::components::forms::{FieldMessage, FormError, PageError, field_error};
use crate::components::layout::{RequireAdmin, use_current_user};
use crate::components::pager::{ListSearch, pager, searched_list_href, use_list_place};
use crate::domain::error::ApiError;
use crate::domain::identity::{MIN_PASSWORD_CHARS, UserInfo};
use crate::domain::paging::Page;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct UserActions {
    create: ServerAction<CreateUser>,
    set_active: ServerAction<SetUserActive>,
    set_admin: ServerAction<SetUserAdmin>,
    reset_password: ServerAction<ResetUserPassword>,
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    // Made here, outside the admin guard's suspense, so each is made (and fetched) once per page
    // view; the server functions check for an admin themselves.
    let (search, offset) = use_list_place();
    let actions = UserActions {
        create: ServerAction::new(),
        set_active: ServerAction::new(),
        set_admin: ServerAction::new(),
        reset_password: ServerAction::new(),
    };
    let changes = move || {
        (
            actions.create.version().get(),
            actions.set_active.version().get(),
            actions.set_admin.version().get(),
            actions.reset_password.version().get(),
        )
    };
    let users = Resource::new(
        move || (search.get(), offset.get(), changes()),
        |(search, offset, _)| list_users(search, offset),
    );
    view! {
        <Title text="Users · Admin" />
        <RequireAdmin>
            <AdminNav current=AdminSection::Users />
            <Users search users actions />
        </RequireAdmin>
    }
}

#[component]
fn Users(
    search: Signal<String>,
    users: Resource<Result<Page<UserInfo>, ApiError>>,
    actions: UserActions,
) -> impl IntoView {
    let searched = search.get_untracked();
    view! {
        <div class="mb-4 flex flex-wrap items-end justify-between gap-4">
            <h1 class="page-title mb-0">"Users"</h1>
            <ListSearch action="/admin/users" id="user-search" label="Search users" placeholder="name or display name" value=searched />
        </div>
        <CreateUserForm action=actions.create />
        <FormError result=actions.set_active.value().into() />
        <FormError result=actions.set_admin.value().into() />
        <FormError result=actions.reset_password.value().into() />
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                let me = match use_current_user() {
                    Some(user) => user.await.ok().flatten().map(|me| me.username),
                    None => None,
                };
                match users.await {
                    Ok(page) => {
                        let search = search.get_untracked();
                        view! { <UserTable page search actions me /> }.into_any()
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CreateUserForm(action: ServerAction<CreateUser>) -> impl IntoView {
    let result: Signal<_> = action.value().into();
    let created = move || match result.get() {
        Some(Ok(user)) => Some(view! {
            <p role="status" class="notice">{format!("User {} created.", user.username)}</p>
        }),
        _ => None,
    };
    view! {
        <details class="card mb-6">
            <summary class="cursor-pointer text-lg font-semibold">"Create a user"</summary>
            <div class="mt-4">
                {created}
                <FormError result inline_fields=&["username", "display_name", "password"] />
                <ActionForm action attr:class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="new-username" class="label">"Username"</label>
                        <input id="new-username" name="username" class="input" required maxlength="64" autocomplete="off" aria-describedby="new-username-error" />
                        <FieldMessage id="new-username-error" message=field_error(result, "username") />
                    </div>
                    <div>
                        <label for="new-display-name" class="label">"Display name"</label>
                        <input id="new-display-name" name="display_name" class="input" maxlength="128" autocomplete="off" aria-describedby="new-display-name-error" />
                        <FieldMessage id="new-display-name-error" message=field_error(result, "display_name") />
                    </div>
                    <div>
                        <label for="new-password" class="label">"Initial password"</label>
                        <input id="new-password" name="password" type="password" class="input" required minlength=MIN_PASSWORD_CHARS.to_string() autocomplete="new-password" aria-describedby="new-password-error" />
                        <FieldMessage id="new-password-error" message=field_error(result, "password") />
                    </div>
                    <div class="flex items-center gap-2 sm:mt-6">
                        <input id="new-is-admin" name="is_admin" type="checkbox" class="h-4 w-4" />
                        <label for="new-is-admin" class="text-sm">"Admin"</label>
                    </div>
                    <div>
                        <button type="submit" class="btn-primary">"Create user"</button>
                    </div>
                </ActionForm>
            </div>
        </details>
    }
}

#[component]
fn UserTable(
    page: Page<UserInfo>,
    search: String,
    actions: UserActions,
    /// The signed-in admin, who may not deactivate themselves or drop their own admin rights.
    me: Option<String>,
) -> impl IntoView {
    if page.data.is_empty() {
        let message = if search.is_empty() {
            "There are no users this far into the list."
        } else {
            "No users match."
        };
        return view! { <p class="empty">{message}</p> }.into_any();
    }
    let pages = pager(&page, move |offset| {
        searched_list_href("/admin/users", &search, offset)
    });
    let users = page.data;
    // Built afresh whenever the list is read again, so an open password form never passes to the
    // user who takes its row.
    let table = move || {
        let columns = vec![
            Column::new("Username", "px-4 py-2 font-mono font-medium"),
            Column::new("Display name", "px-4 py-2"),
            Column::new("Status", "px-4 py-2"),
            Column::new("Created", "px-4 py-2 whitespace-nowrap text-slate-600"),
            Column::actions("px-4 py-2"),
        ];
        let rows = users
            .iter()
            .map(|user| {
                let is_me = me.as_deref() == Some(user.username.as_str());
                user_cells(user.clone(), actions, is_me)
            })
            .collect();
        view! { <DataTable label="Users" columns rows top_aligned=true /> }
    };
    view! {
        {table}
        {pages}
    }
    .into_any()
}

fn user_cells(user: UserInfo, actions: UserActions, is_me: bool) -> Vec<AnyView> {
    let hidden = |name: &str| {
        let name = name.to_owned();
        view! { <input type="hidden" name="username" value=name /> }
    };
    let (active_fields, admin_fields, password_fields) = (
        hidden(&user.username),
        hidden(&user.username),
        hidden(&user.username),
    );
    let (active_label, active_value) = if user.is_active {
        ("Deactivate", "false")
    } else {
        ("Reactivate", "true")
    };
    let (admin_label, admin_value) = if user.is_admin {
        ("Remove admin", "false")
    } else {
        ("Make admin", "true")
    };
    let password_id = format!("password-{}", user.username);
    let password_label = format!("New password for {}", user.username);
    let active_aria = format!("{active_label} {}", user.username);
    let admin_aria = format!("{admin_label}: {}", user.username);
    let name = view! {
        {user.username.clone()}
        {is_me.then(|| view! { <span class="ml-1 font-sans text-xs font-normal text-slate-500">"(you)"</span> })}
    };
    let status = view! {
        {if user.is_active {
            view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900">"active"</span> }.into_any()
        } else {
            view! { <span class="rounded-full bg-slate-200 px-2 py-0.5 text-xs text-slate-700">"deactivated"</span> }.into_any()
        }}
        {user.is_admin.then(|| view! {
            <span class="ml-1 rounded-full bg-indigo-100 px-2 py-0.5 text-xs text-indigo-900">"admin"</span>
        })}
    };
    let buttons = view! {
        <div class="flex flex-wrap justify-end gap-2">
            {(!is_me).then(|| view! {
                <ActionForm action=actions.set_active>
                    {active_fields}
                    <input type="hidden" name="active" value=active_value />
                    <button type="submit" class="btn-secondary px-3 py-1" aria-label=active_aria>
                        {active_label}
                    </button>
                </ActionForm>
                <ActionForm action=actions.set_admin>
                    {admin_fields}
                    <input type="hidden" name="admin" value=admin_value />
                    <button type="submit" class="btn-secondary px-3 py-1" aria-label=admin_aria>
                        {admin_label}
                    </button>
                </ActionForm>
            })}
            <details>
                <summary class="btn-secondary cursor-pointer list-none px-3 py-1" aria-label=format!("Reset password of {}", user.username)>
                    "Reset password…"
                </summary>
                <ActionForm action=actions.reset_password attr:class="mt-2 w-64 space-y-2 rounded-md border border-slate-200 bg-slate-50 p-3">
                    {password_fields}
                    <label for=password_id.clone() class="label">{password_label}</label>
                    <input id=password_id name="password" type="password" class="input" required minlength=MIN_PASSWORD_CHARS.to_string() autocomplete="new-password" />
                    <p class="text-xs text-slate-500">"Their sessions end; they sign in with the new password."</p>
                    <button type="submit" class="btn-primary">"Set password"</button>
                </ActionForm>
            </details>
        </div>
    };
    vec![
        name.into_any(),
        user.display_name.clone().into_any(),
        status.into_any(),
        timestamp(user.created_at, "%Y-%m-%d"),
        buttons.into_any(),
    ]
}
