//! The page frame: header navigation, and the guards that send signed-out visitors to sign in
//! and keep everyone but admins out of the admin console.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::identity::Me;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

/// The signed-in user for this page load, provided by `<App/>`.
pub type CurrentUser = Resource<Result<Option<Me>, ApiError>>;

pub fn use_current_user() -> Option<CurrentUser> {
    use_context::<CurrentUser>()
}

#[component]
pub fn Header() -> impl IntoView {
    let user = use_current_user();
    view! {
        <header class="border-b border-slate-200 bg-white">
            <nav
                class="mx-auto flex max-w-5xl items-center gap-6 px-4 py-3"
                aria-label="Main"
            >
                <a href="/models" class="text-lg font-semibold tracking-tight text-indigo-700">
                    "Modelyard"
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let me = match user {
                            Some(user) => user.await.ok().flatten(),
                            None => None,
                        };
                        let Some(me) = me else {
                            // Public models can be browsed without an account.
                            return view! {
                                <A href="/models" attr:class="nav-link">"Models"</A>
                                <a href="/login" class="ml-auto btn-secondary">"Sign in"</a>
                            }
                            .into_any();
                        };
                        {
                            view! {
                                <A href="/models" attr:class="nav-link">"Models"</A>
                                <A href="/models/new" attr:class="nav-link">"New model"</A>
                                <A href="/datasets" attr:class="nav-link">"Datasets"</A>
                                <A href="/settings/tokens" attr:class="nav-link">"API tokens"</A>
                                <A href="/settings/password" attr:class="nav-link">"Password"</A>
                                {me.is_admin.then(|| view! { <A href="/admin" attr:class="nav-link">"Admin"</A> })}
                                <span class="ml-auto text-sm text-slate-600" title=me.username.clone()>
                                    {me.display_name.clone()}
                                </span>
                                // A plain form: signing out is a full page load in every browser.
                                <form method="post" action="/fn/logout">
                                    <button type="submit" class="btn-secondary">"Sign out"</button>
                                </form>
                            }
                            .into_any()
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

/// Renders `children` for a signed-in user; sends anyone else to the sign-in page.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let user = use_current_user();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = match user {
                    Some(user) => user.await,
                    None => Ok(None),
                };
                match me {
                    Ok(Some(_)) => children.read_value()().into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <crate::components::forms::ErrorAlert error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Renders `children` for a signed-in admin; anyone else signed in gets a 403 page, and a
/// visitor who is not signed in is sent to sign in. The server functions behind the admin pages
/// check this again: hiding a page is not access control.
#[component]
pub fn RequireAdmin(children: ChildrenFn) -> impl IntoView {
    let user = use_current_user();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = match user {
                    Some(user) => user.await,
                    None => Ok(None),
                };
                match me {
                    Ok(Some(me)) if me.is_admin => children.read_value()().into_any(),
                    Ok(Some(_)) => {
                        let error = ApiError::new(
                            403,
                            codes::ADMIN_ONLY,
                            "Only admins may use the admin console.",
                            "Ask an admin to do it, or to make you an admin.",
                        );
                        view! {
                            <h1 class="page-title">"Not allowed"</h1>
                            <crate::components::forms::PageError error />
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <crate::components::forms::ErrorAlert error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
