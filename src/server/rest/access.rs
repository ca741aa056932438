//! Model sharing (`/models/{model}/access`), users, teams, the audit log, and the caller's own
//! password.

use crate::domain::access::{AccessEntry, AccessUpdate};
use crate::domain::audit::{AuditEvent, AuditQuery};
use crate::domain::identity::{NewTeam, NewUserRequest, PasswordChange, Team, UserInfo, UserPatch};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::{self, Caller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::services::{access, audit, teams, users};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

pub async fn list_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
) -> AppResult<Json<Page<AccessEntry>>> {
    let entries = access::list_access(&state.db, &caller, &model).await?;
    Ok(Json(Page::whole(entries)))
}

pub async fn update_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    ApiJson(update): ApiJson<AccessUpdate>,
) -> AppResult<Json<Page<AccessEntry>>> {
    let entries = access::update_access(&state.db, &caller, &model, &update).await?;
    Ok(Json(Page::whole(entries)))
}

/// `?search=&offset=&limit=` for users and teams.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<Page<UserInfo>>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let page = users::list_users(&state.db, &caller, query.search.as_deref(), paging).await?;
    Ok(Json(page))
}

pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewUserRequest>,
) -> AppResult<(StatusCode, Json<UserInfo>)> {
    let user = users::admin_create_user(&state.db, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

pub async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> AppResult<Json<UserInfo>> {
    Ok(Json(users::get_user(&state.db, &caller, &username).await?))
}

pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> AppResult<Json<UserInfo>> {
    Ok(Json(
        users::update_user(&state.db, &caller, &username, patch).await?,
    ))
}

pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(change): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    let session = match caller.method {
        auth::AuthMethod::Session => auth::current_session_hash(&headers),
        auth::AuthMethod::Token => None,
    };
    users::change_own_password(&state.db, &caller, session.as_deref(), change).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<Page<Team>>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let page = teams::list_teams(&state.db, &caller, query.search.as_deref(), paging).await?;
    Ok(Json(page))
}

pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewTeam>,
) -> AppResult<(StatusCode, Json<Team>)> {
    let team = teams::create_team(&state.db, &caller, &new).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

pub async fn get_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
) -> AppResult<Json<Team>> {
    Ok(Json(teams::get_team(&state.db, &caller, &team).await?))
}

pub async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
) -> AppResult<StatusCode> {
    teams::delete_team(&state.db, &caller, &team).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, username)): Path<(String, String)>,
) -> AppResult<Json<Team>> {
    Ok(Json(
        teams::add_member(&state.db, &caller, &team, &username).await?,
    ))
}

pub async fn remove_team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, username)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    teams::remove_member(&state.db, &caller, &team, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEvent>>> {
    Ok(Json(
        audit::list_events(&state.db, &caller, &query, "/api/v1/audit").await?,
    ))
}
