//! Teams and their members: `/teams`, `/teams/{team}`, `/teams/{team}/members/{username}`.

use crate::domain::identity::{NewTeam, Team};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery, SearchQuery};
use crate::server::rest::openapi::says;
use crate::server::services::teams;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/teams", tag = "teams",
    summary = "Teams with their members (any signed-in user)",
    params(SearchQuery),
    responses((status = 200, description = "Teams by name.", body = Page<Team>))
)]
pub async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<Page<Team>>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let page = teams::list_teams(&state.db, &caller, query.search.as_deref(), paging).await?;
    Ok(Json(page))
}

#[utoipa::path(
    post, path = "/api/v1/teams", tag = "teams",
    summary = "Create a team (admins)",
    request_body = NewTeam,
    responses(
        (status = 201, description = "The team.", body = Team),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 409, description = "TEAM_NAME_TAKEN."),
        (status = 422, description = "INVALID_TEAM_NAME or INVALID_DESCRIPTION."),
    )
)]
pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewTeam>,
) -> AppResult<(StatusCode, Json<Team>)> {
    let team = teams::create_team(&state.db, &caller, &new).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[utoipa::path(
    get, path = "/api/v1/teams/{team}", tag = "teams",
    summary = "One team and its members",
    responses(
        (status = 200, description = "The team.", body = Team),
        (status = 404, description = "TEAM_NOT_FOUND."),
    )
)]
pub async fn get_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
) -> AppResult<Json<Team>> {
    Ok(Json(teams::get_team(&state.db, &caller, &team).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/teams/{team}", tag = "teams",
    summary = "Delete a team and its grants (admins)",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 404, description = "TEAM_NOT_FOUND."),
        (status = 409, description = "LAST_OWNER: the team is some model's only owner."),
    )
)]
pub async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(team): Path<String>,
) -> AppResult<StatusCode> {
    teams::delete_team(&state.db, &caller, &team).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put, path = "/api/v1/teams/{team}/members/{username}", tag = "teams",
    summary = "Add a member (admins)",
    responses(
        (status = 200, description = "The team.", body = Team),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 404, description = "TEAM_NOT_FOUND or USER_NOT_FOUND."),
    )
)]
pub async fn add_team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, username)): Path<(String, String)>,
) -> AppResult<Json<Team>> {
    Ok(Json(
        teams::add_member(&state.db, &caller, &team, &username).await?,
    ))
}

#[utoipa::path(
    delete, path = "/api/v1/teams/{team}/members/{username}", tag = "teams",
    summary = "Remove a member (admins)",
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 404, description = "TEAM_NOT_FOUND, USER_NOT_FOUND or NOT_A_MEMBER."),
    )
)]
pub async fn remove_team_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((team, username)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    teams::remove_member(&state.db, &caller, &team, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, delete_team))
        .routes(routes!(add_team_member, remove_team_member))
}
