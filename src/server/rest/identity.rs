//! `/me` and `/tokens`.

use crate::domain::identity::{CreatedToken, Me, NewToken, TokenInfo};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::services::tokens;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

pub async fn me(caller: Caller) -> Json<Me> {
    Json(caller.me())
}

/// `?all=true` (admins): every user's tokens, paged.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> AppResult<Json<Page<TokenInfo>>> {
    if query.all {
        let paging = Paging::new(query.offset, query.limit)?;
        return Ok(Json(
            tokens::list_all_tokens(&state.db, &caller, paging).await?,
        ));
    }
    let data = tokens::list_tokens(&state.db, &caller.user_id).await?;
    Ok(Json(Page::whole(data)))
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
    tokens::revoke_token(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
