//! Users (admins) and the caller's own password: `/users`, `/users/{username}`, `/me/password`.

use crate::domain::identity::{NewUserRequest, PasswordChange, UserInfo, UserPatch};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::{self, Caller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery, SearchQuery};
use crate::server::services::users;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

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
