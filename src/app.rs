//! The HTML shell, `<App/>` and the route table.

use crate::api::identity::current_user;
use crate::components::island_scripts::{IslandScripts, IslandsOnPage};
use crate::components::layout::{CurrentUser, Header};
use crate::pages::{
    admin_audit_page::AdminAuditPage, admin_limits_page::AdminLimitsPage,
    admin_team_page::AdminTeamPage, admin_teams_page::AdminTeamsPage,
    admin_tokens_page::AdminTokensPage, admin_users_page::AdminUsersPage,
    compare_page::ComparePage, dataset_page::DatasetPage, datasets_page::DatasetsPage,
    edit_model_page::EditModelPage, login_page::LoginPage, model_activity_page::ModelActivityPage,
    model_page::ModelPage, model_settings_page::ModelSettingsPage,
    model_sharing_page::ModelSharingPage, model_versions_page::ModelVersionsPage,
    models_page::ModelsPage, new_model_page::NewModelPage, not_found_page::NotFoundPage,
    password_page::PasswordPage, setup_page::SetupPage, tokens_page::TokensPage,
    upload_page::UploadPage, version_page::VersionPage,
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The app names the stylesheet after the bundle (`output_name`, content-hashed in releases).
    provide_context(options.clone());
    provide_context(IslandsOnPage::default());
    // Islands mode: only what islands load goes to the browser with the page.
    if let Some(shared) = Owner::current_shared_context() {
        shared.set_is_hydrating(false);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
                <IslandScripts options />
            </body>
        </html>
    }
}

/// The bundle's file name without extension: `modelyard`, or `modelyard-<hash>` in a release.
fn bundle_name() -> String {
    use_context::<LeptosOptions>()
        .map(|o| o.output_name.to_string())
        .unwrap_or_else(|| "modelyard".to_owned())
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Signing in and out are full page loads, so the caller is read once per page load.
    let user: CurrentUser = Resource::new(|| (), |_| current_user());
    provide_context(user);

    view! {
        <Stylesheet id="leptos" href=format!("/pkg/{}.css", bundle_name()) />
        <Title formatter=|title: String| {
            if title.is_empty() { "Modelyard".to_owned() } else { format!("{title} · Modelyard") }
        } />
        <Router>
            <Header />
            <main class="mx-auto max-w-5xl px-4 py-8">
                // Async rendering: redirects and 404 statuses are decided before the first byte.
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=|| view! { <Redirect path="/models" /> } ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/models") view=ModelsPage ssr=SsrMode::Async />
                    <Route path=path!("/models/new") view=NewModelPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name") view=ModelPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/edit") view=EditModelPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/versions") view=ModelVersionsPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/versions/:version") view=VersionPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/settings") view=ModelSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/upload") view=UploadPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/compare") view=ComparePage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/sharing") view=ModelSharingPage ssr=SsrMode::Async />
                    <Route path=path!("/models/:name/activity") view=ModelActivityPage ssr=SsrMode::Async />
                    <Route path=path!("/datasets") view=DatasetsPage ssr=SsrMode::Async />
                    <Route path=path!("/datasets/:id") view=DatasetPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/tokens") view=TokensPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/password") view=PasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=|| view! { <Redirect path="/admin/users" /> } ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/teams") view=AdminTeamsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/teams/:team") view=AdminTeamPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/tokens") view=AdminTokensPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/limits") view=AdminLimitsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
