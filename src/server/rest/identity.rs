//! `/me` and `/tokens`.

use crate::domain::identity::{CreatedToken, Me, NewToken, TokenInfo};
use crate::domain::paging::Page;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiJson;
use crate::server::services::tokens;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

pub async fn me(caller: Caller) -> Json<Me> {
    Json(caller.me())
}

pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Page<TokenInfo>>> {
    let data = tokens::list_tokens(&state.db, &caller.user_id).await?;
    let n = data.len() as i64;
    Ok(Json(Page {
        count: n,
        total_count: n,
        offset: 0,
        limit: n.max(1),
        next: None,
        previous: None,
        data,
    }))
}

pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewToken>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    let created = tokens::create_token(&state.db, &caller.user_id, &request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    tokens::revoke_token(&state.db, &caller.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
