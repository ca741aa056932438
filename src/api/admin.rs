//! The admin console: users, teams and their members, every API token, and the limits in force.
//! Every call checks on the server that the caller is an admin (listing teams and reading one
//! is open to every signed-in user, as in the REST API, since models are shared with teams).

use crate::domain::error::ApiError;
use crate::domain::identity::{Team, TokenInfo, UserInfo};
use crate::domain::paging::Page;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{fail, require_caller, state};

/// How many rows one page of an admin list shows.
pub const ADMIN_PAGE_SIZE: i64 = 50;

#[cfg(feature = "ssr")]
fn paging(offset: i64) -> Result<crate::domain::paging::Paging, ApiError> {
    crate::domain::paging::Paging::new(Some(offset.max(0)), Some(ADMIN_PAGE_SIZE)).map_err(fail)
}

/// A form's "true" / "false".
#[cfg(feature = "ssr")]
fn flag(value: &str) -> bool {
    value == "true"
}

#[server(prefix = "/fn", endpoint = "list_users")]
pub async fn list_users(search: String, offset: i64) -> Result<Page<UserInfo>, ApiError> {
    let caller = require_caller().await?;
    let search = Some(search.trim()).filter(|s| !s.is_empty());
    crate::server::services::users::list_users(&state().db, &caller, search, paging(offset)?)
        .await
        .map_err(fail)
}

/// `is_admin` is present ("on") when the box is ticked.
#[server(prefix = "/fn", endpoint = "create_user")]
pub async fn create_user(
    username: String,
    display_name: String,
    password: String,
    #[server(default)] is_admin: Option<String>,
) -> Result<UserInfo, ApiError> {
    use crate::domain::identity::NewUserRequest;
    let caller = require_caller().await?;
    let request = NewUserRequest {
        username,
        display_name: Some(display_name),
        password,
        is_admin: is_admin.is_some(),
    };
    crate::server::services::users::admin_create_user(&state().db, &caller, request)
        .await
        .map_err(fail)
}

#[cfg(feature = "ssr")]
async fn patch_user(
    username: &str,
    patch: crate::domain::identity::UserPatch,
) -> Result<UserInfo, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::users::update_user(&state().db, &caller, username, patch)
        .await
        .map_err(fail)
}

/// Deactivates (`active` "false") or reactivates ("true") a user.
#[server(prefix = "/fn", endpoint = "set_user_active")]
pub async fn set_user_active(username: String, active: String) -> Result<UserInfo, ApiError> {
    use crate::domain::identity::UserPatch;
    let patch = UserPatch {
        is_active: Some(flag(&active)),
        ..UserPatch::default()
    };
    patch_user(&username, patch).await
}

/// Makes a user an admin (`admin` "true") or takes it away ("false").
#[server(prefix = "/fn", endpoint = "set_user_admin")]
pub async fn set_user_admin(username: String, admin: String) -> Result<UserInfo, ApiError> {
    use crate::domain::identity::UserPatch;
    let patch = UserPatch {
        is_admin: Some(flag(&admin)),
        ..UserPatch::default()
    };
    patch_user(&username, patch).await
}

/// Sets a new password for a user; their sessions end.
#[server(prefix = "/fn", endpoint = "reset_user_password")]
pub async fn reset_user_password(username: String, password: String) -> Result<UserInfo, ApiError> {
    use crate::domain::identity::UserPatch;
    let patch = UserPatch {
        password: Some(password),
        ..UserPatch::default()
    };
    patch_user(&username, patch).await
}

#[server(prefix = "/fn", endpoint = "list_teams")]
pub async fn list_teams(search: String, offset: i64) -> Result<Page<Team>, ApiError> {
    let caller = require_caller().await?;
    let search = Some(search.trim()).filter(|s| !s.is_empty());
    crate::server::services::teams::list_teams(&state().db, &caller, search, paging(offset)?)
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "get_team")]
pub async fn get_team(name: String) -> Result<Team, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::teams::get_team(&state().db, &caller, &name)
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "create_team")]
pub async fn create_team(name: String, description: String) -> Result<Team, ApiError> {
    use crate::domain::identity::NewTeam;
    let caller = require_caller().await?;
    let new = NewTeam {
        name,
        description: Some(description),
    };
    crate::server::services::teams::create_team(&state().db, &caller, &new)
        .await
        .map_err(fail)
}

/// Deletes a team and goes back to the list of teams.
#[server(prefix = "/fn", endpoint = "delete_team")]
pub async fn delete_team(name: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::teams::delete_team(&state().db, &caller, &name)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/admin/teams");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "add_team_member")]
pub async fn add_team_member(team: String, username: String) -> Result<Team, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::teams::add_member(&state().db, &caller, &team, username.trim())
        .await
        .map_err(|e| {
            // A user that does not exist is about the form's username box.
            let mut error = e.into_api_error();
            if error.is(crate::domain::error::codes::USER_NOT_FOUND) {
                error.field = Some("username".to_owned());
            }
            fail(error)
        })
}

#[server(prefix = "/fn", endpoint = "remove_team_member")]
pub async fn remove_team_member(team: String, username: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::teams::remove_member(&state().db, &caller, &team, &username)
        .await
        .map_err(fail)
}

/// Every user's API tokens, newest first (admins). Revoking one is
/// [`revoke_token`](crate::api::identity::revoke_token), which lets admins revoke anyone's.
#[server(prefix = "/fn", endpoint = "list_all_tokens")]
pub async fn list_all_tokens(offset: i64) -> Result<Page<TokenInfo>, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::tokens::list_all_tokens(&state().db, &caller, paging(offset)?)
        .await
        .map_err(fail)
}

/// The limits in force, exactly as `GET /api/v1/limits` reports them (admins).
#[server(prefix = "/fn", endpoint = "get_limits")]
pub async fn get_limits() -> Result<serde_json::Value, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::users::require_admin(&caller, "read the limits page").map_err(fail)?;
    serde_json::to_value(state().settings.limits()).map_err(|_| ApiError::internal())
}
