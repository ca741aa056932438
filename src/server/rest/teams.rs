//! Teams and their members: `/teams`, `/teams/{team}`, `/teams/{team}/members/{username}`.

use crate::domain::identity::{NewTeam, Team};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery, SearchQuery};
use crate::server::services::teams;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

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
