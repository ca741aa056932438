//! Users (admins) and the caller's own password: `/users`, `/users/{username}`, `/me/password`.

use crate::domain::identity::{NewUserRequest, PasswordChange, UserInfo, UserPatch};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::{self, Caller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery, SearchQuery};
use crate::server::rest::openapi::says;
use crate::server::services::users;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    summary = "Every user (admins)",
    params(SearchQuery),
    responses(
        (status = 200, description = "Users by name.", body = Page<UserInfo>),
        (status = 403, description = says::ADMIN_ONLY),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> AppResult<Json<Page<UserInfo>>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let page = users::list_users(&state.db, &caller, query.search.as_deref(), paging).await?;
    Ok(Json(page))
}

#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    summary = "Create a user (admins)",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "The user.", body = UserInfo),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 409, description = "USERNAME_TAKEN."),
        (status = 422, description = "INVALID_USERNAME, INVALID_PASSWORD or INVALID_DISPLAY_NAME."),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewUserRequest>,
) -> AppResult<(StatusCode, Json<UserInfo>)> {
    let user = users::admin_create_user(&state.db, &caller, request).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(
    get, path = "/api/v1/users/{username}", tag = "users",
    summary = "One user (admins)",
    responses(
        (status = 200, description = "The user.", body = UserInfo),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 404, description = "USER_NOT_FOUND."),
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> AppResult<Json<UserInfo>> {
    Ok(Json(users::get_user(&state.db, &caller, &username).await?))
}

#[utoipa::path(
    patch, path = "/api/v1/users/{username}", tag = "users",
    summary = "Change a user (admins): display name, reset password, admin, active",
    description = "Resetting the password or deactivating ends the user's sessions; a deactivated user's tokens stop working at once.",
    request_body = UserPatch,
    responses(
        (status = 200, description = "The user.", body = UserInfo),
        (status = 403, description = says::ADMIN_ONLY),
        (status = 404, description = "USER_NOT_FOUND."),
        (status = 409, description = "LAST_ADMIN or CANNOT_LOCK_YOURSELF_OUT."),
        (status = 422, description = "INVALID_PASSWORD or INVALID_DISPLAY_NAME."),
    )
)]
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

#[utoipa::path(
    put, path = "/api/v1/me/password", tag = "identity",
    summary = "Change the caller's own password; other sessions end, this one stays",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed."),
        (status = 422, description = "WRONG_PASSWORD (current_password) or INVALID_PASSWORD (new_password)."),
    )
)]
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

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}
